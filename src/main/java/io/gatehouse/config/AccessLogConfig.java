package io.gatehouse.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where access lines go and in which form.
 *
 * @param format {@link Format#TEXT} (the one-line summary) or {@link Format#JSON} (one object per line)
 * @param path   a file to append to, or null for standard output
 */
public record AccessLogConfig(Format format, Path path) {

    public enum Format { TEXT, JSON }

    public AccessLogConfig {
        Objects.requireNonNull(format, "format");
    }

    public static AccessLogConfig defaults() {
        return new AccessLogConfig(Format.TEXT, null);
    }

    /** Today's behaviour: text through the {@code access} logger, whose appenders logback's config decides. */
    public boolean throughLogback() {
        return format == Format.TEXT && path == null;
    }
}
