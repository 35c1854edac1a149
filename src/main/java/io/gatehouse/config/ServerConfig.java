package io.gatehouse.config;

import java.time.Duration;
import java.util.Objects;

/** The listening socket and the client-side connection lifecycle. */
public record ServerConfig(
        String host,
        int port,
        int ioThreads,
        Duration idleTimeout,
        Duration shutdownTimeout) {

    public static final String DEFAULT_HOST = "0.0.0.0";
    /** Port 0 asks the operating system for any free port; tests use it. */
    public static final int DEFAULT_PORT = 3000;
    /** 0 means one event loop per available core. */
    public static final int DEFAULT_IO_THREADS = 0;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (ioThreads < 0) {
            throw new IllegalArgumentException("negative ioThreads: " + ioThreads);
        }
    }

    public static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_IO_THREADS, DEFAULT_IDLE_TIMEOUT,
                DEFAULT_SHUTDOWN_TIMEOUT);
    }
}
