package io.gatehouse.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Rate limiting shared by every client: the length of the sliding window and where the counters live.
 *
 * @param window the sliding window
 * @param store  {@link RateLimitStore#LOCAL} (each instance counts alone) or {@link RateLimitStore#REDIS}
 * @param redis  the Redis server when {@code store} is {@link RateLimitStore#REDIS}; null otherwise
 */
public record RateLimitConfig(Duration window, RateLimitStore store, RedisConfig redis) {

    public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(60);

    public RateLimitConfig {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(store, "store");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window must be positive: " + window);
        }
        if ((store == RateLimitStore.REDIS) != (redis != null)) {
            throw new IllegalArgumentException("redis settings are required with store REDIS and only then");
        }
    }

    /** Local counters with the given window. */
    public RateLimitConfig(Duration window) {
        this(window, RateLimitStore.LOCAL, null);
    }

    public static RateLimitConfig defaults() {
        return new RateLimitConfig(DEFAULT_WINDOW);
    }
}
