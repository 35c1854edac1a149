/**
 * Rate-limiting policy: the {@link io.gatehouse.ratelimit.RateLimiter} contract and its local sliding-window
 * implementation. Plain Java with an injected monotonic clock; the pipeline's rate-limit handler only adapts it.
 */
package io.gatehouse.ratelimit;
