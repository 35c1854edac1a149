package io.gatehouse.config;

import java.time.Duration;

/** Rate limiting shared by every client: the length of the sliding window. */
public record RateLimitConfig(Duration window) {
}
