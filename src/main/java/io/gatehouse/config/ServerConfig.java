package io.gatehouse.config;

import java.time.Duration;

/** The listening socket and the client-side connection lifecycle. */
public record ServerConfig(
        String host,
        int port,
        int ioThreads,
        Duration idleTimeout,
        Duration shutdownTimeout) {
}
