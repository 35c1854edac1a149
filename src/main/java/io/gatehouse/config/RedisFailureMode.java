package io.gatehouse.config;

/** What the Redis rate-limit store does while Redis cannot answer in time: {@code rate_limit.redis.on_failure}. */
public enum RedisFailureMode {
    /** Count in this instance's own limiter until Redis is back: each instance grants the full limit. */
    LOCAL,
    /** Admit every request: availability over limits. */
    OPEN,
    /** Answer 503: limits over availability. */
    CLOSED
}
