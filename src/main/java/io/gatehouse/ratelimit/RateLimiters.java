package io.gatehouse.ratelimit;

import io.gatehouse.config.RateLimitConfig;
import io.gatehouse.ratelimit.redis.RedisRateLimiter;

import java.util.function.LongSupplier;

/** Builds the limiter that {@code rate_limit.store} asks for. */
public final class RateLimiters {

    private RateLimiters() {
    }

    /**
     * The limiter for {@code config}: the in-process {@link LocalRateLimiter}, or a {@link RedisRateLimiter}
     * shared with every instance on the same Redis (a single Redis, or a Redis Cluster with {@code cluster: true}).
     * Call off the event loops: a Redis limiter waits up to about a second for its first connection (and carries on
     * without one, reconnecting in the background). The caller
     * owns the result: schedule {@link RateLimiter#evictIdle()} about once a second, call {@link RateLimiter#retain}
     * with each config's policies, and {@link RateLimiter#close()}
     * it at shutdown.
     *
     * @param nanoClock a monotonic clock, {@code System::nanoTime} in production; the Redis limiter uses it only
     *                  for its local fallback, and takes its window clock from Redis
     */
    public static RateLimiter create(RateLimitConfig config, LongSupplier nanoClock) {
        return switch (config.store()) {
            case LOCAL -> new LocalRateLimiter(nanoClock);
            case REDIS -> RedisRateLimiter.start(config.window(), config.redis(), nanoClock);
        };
    }
}
