package io.gatehouse.config;

import java.time.Duration;

/** How the gateway connects to backends: timeouts and the per-event-loop connection pools. */
public record BackendConfig(
        Duration connectTimeout,
        int poolMaxIdle,
        Duration poolIdleTimeout) {
}
