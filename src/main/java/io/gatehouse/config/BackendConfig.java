package io.gatehouse.config;

import java.time.Duration;
import java.util.Objects;

/** How the gateway connects to backends: timeouts and the per-event-loop connection pools. */
public record BackendConfig(
        Duration connectTimeout,
        int poolMaxIdle,
        Duration poolIdleTimeout) {

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(3);
    /** Idle keep-alive connections kept per backend per event loop. */
    public static final int DEFAULT_POOL_MAX_IDLE = 64;
    /** Below the usual backend keep-alive (often 60 s or more), so that we close idle connections first. */
    public static final Duration DEFAULT_POOL_IDLE_TIMEOUT = Duration.ofSeconds(30);

    public BackendConfig {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(poolIdleTimeout, "poolIdleTimeout");
        if (poolMaxIdle < 0) {
            throw new IllegalArgumentException("negative poolMaxIdle: " + poolMaxIdle);
        }
    }

    public static BackendConfig defaults() {
        return new BackendConfig(DEFAULT_CONNECT_TIMEOUT, DEFAULT_POOL_MAX_IDLE, DEFAULT_POOL_IDLE_TIMEOUT);
    }
}
