package io.gatehouse.reload;

import io.gatehouse.config.GatewayConfig;

/** What {@link ConfigReloader} reloads: the running gateway. Called only on the config thread. */
public interface Reloadable {

    /** The SHA-256 of the running config's text, or null when it was not read from text. */
    String runningSha256();

    /** The running config's generation: 1 at start, one more per successful reload. */
    long generation();

    /**
     * Compiles {@code next} and makes it the running config, or changes nothing and throws (a listener that cannot
     * be bound, an access-log file that cannot be opened). Either way the outcome is already recorded in the
     * gateway's status and metrics when this returns.
     *
     * @throws RuntimeException with a message that says why the reload was refused
     */
    void apply(GatewayConfig next);

    /** {@code next} did not validate ({@code message}: the loader's lines); record it, change nothing else. */
    void refused(String message);

    /**
     * The files the running config reads besides the config file (TLS certificate and key, an upstream's CA, a
     * {@code jwks_file}): an explicit reload reads them again even when the config file is unchanged, and while
     * the config is watched a change to one of them is a reload, since a renewal changes them and not the config.
     */
    default java.util.List<java.nio.file.Path> otherFiles() {
        return java.util.List.of();
    }

    /** A trigger found the file unchanged; counted, nothing else. */
    default void unchanged() {
    }
}
