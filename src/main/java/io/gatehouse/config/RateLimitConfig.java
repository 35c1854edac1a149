package io.gatehouse.config;

import java.time.Duration;
import java.util.Objects;

/** Rate limiting shared by every client: the length of the sliding window. */
public record RateLimitConfig(Duration window) {

    public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(60);

    public RateLimitConfig {
        Objects.requireNonNull(window, "window");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window must be positive: " + window);
        }
    }

    public static RateLimitConfig defaults() {
        return new RateLimitConfig(DEFAULT_WINDOW);
    }
}
