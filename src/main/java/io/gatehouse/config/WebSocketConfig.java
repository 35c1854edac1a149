package io.gatehouse.config;

import java.time.Duration;
import java.util.Objects;

/**
 * A route's WebSocket setting: whether {@code Upgrade: websocket} is allowed on it, and how long an open tunnel
 * may carry no byte either way before the gateway closes it.
 *
 * @param enabled     {@code websocket}: the route takes upgrade requests (default false: they get 400)
 * @param idleTimeout {@code websocket_idle_timeout}: silence in both directions after which a tunnel is closed
 */
public record WebSocketConfig(boolean enabled, Duration idleTimeout) {

    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(5);
    /** Upgrade requests refused. */
    public static final WebSocketConfig OFF = new WebSocketConfig(false, DEFAULT_IDLE_TIMEOUT);

    public WebSocketConfig {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be positive: " + idleTimeout);
        }
    }
}
