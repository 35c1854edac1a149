package io.gatehouse.config;

/** Where rate-limit counters live: {@code rate_limit.store}. */
public enum RateLimitStore {
    /** In this process only; each gateway instance counts on its own. */
    LOCAL,
    /** In Redis, shared by every gateway instance that uses the same Redis. */
    REDIS
}
