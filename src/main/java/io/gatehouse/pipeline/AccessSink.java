package io.gatehouse.pipeline;

import io.gatehouse.config.AccessLogConfig;
import tools.jackson.core.JsonGenerator;
import tools.jackson.core.ObjectWriteContext;
import tools.jackson.core.json.JsonFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Where access lines go when they do not go through the {@code access} logger: a file (appended to) or standard
 * output, as text or as one JSON object per line. Used only on {@link AccessLogWriter}'s thread, so it needs no
 * locks: a JSON line is written by one long-lived streaming generator into one reused buffer, flushed once per
 * batch.
 */
final class AccessSink {

    private static final Logger LOG = LoggerFactory.getLogger(AccessSink.class);
    private static final JsonFactory JSON = JsonFactory.builder().rootValueSeparator("").build();
    /** RFC 3339, UTC, milliseconds: the JSON {@code ts}. */
    static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    /** The text line's time stamp, as the default logback pattern writes it. */
    private static final DateTimeFormatter TEXT_TS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
            .withZone(ZoneOffset.systemDefault());

    private final AccessLogConfig config;
    private final OutputStream out;
    private final JsonGenerator json;
    private boolean failed;

    private AccessSink(AccessLogConfig config, OutputStream out) {
        this.config = config;
        this.out = new BufferedOutputStream(out, 64 * 1024);
        this.json = config.format() == AccessLogConfig.Format.JSON
                ? JSON.createGenerator(ObjectWriteContext.empty(), this.out) : null;
    }

    /** Opens the destination of {@code config} (not one that goes through logback); call off the event loops. */
    static AccessSink open(AccessLogConfig config) throws IOException {
        OutputStream out = config.path() == null
                ? new FilterOutputStream(System.out) {
                    @Override
                    public void close() throws IOException {
                        flush(); // standard output stays open
                    }
                }
                : new FileOutputStream(config.path().toFile(), true);
        return new AccessSink(config, out);
    }

    AccessLogConfig config() {
        return config;
    }

    void write(Object line, long epochMillis) {
        try {
            if (json != null && line instanceof AccessLine access) {
                access.writeJson(json, TS.format(Instant.ofEpochMilli(epochMillis)));
                json.writeRaw('\n');
            } else {
                out.write((TEXT_TS.format(Instant.ofEpochMilli(epochMillis)) + " " + line + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException | RuntimeException e) {
            report(e);
        }
    }

    void flush() {
        try {
            if (json != null) {
                json.flush();
            }
            out.flush();
        } catch (IOException | RuntimeException e) {
            report(e);
        }
    }

    void close() {
        flush();
        try {
            if (json != null) {
                json.close();
            }
            out.close();
        } catch (IOException | RuntimeException e) {
            report(e);
        }
    }

    private void report(Exception e) {
        if (!failed) {
            failed = true;
            LOG.warn("access log {} failed: {}", config.path() != null ? config.path() : "stdout", e.toString());
        }
    }
}
