/**
 * Rate-limiting policy: the {@link io.gatehouse.ratelimit.RateLimiter} contract, its local sliding-window
 * implementation and the factory that picks the store. Plain Java with an injected monotonic clock; the pipeline's
 * rate-limit handler only adapts it. The shared Redis store lives in {@code redis}, the only part that touches Netty.
 */
package io.gatehouse.ratelimit;
