package io.gatehouse.ratelimit;

import java.util.concurrent.CompletionStage;

/**
 * Decides whether one more request from a client may pass. The local implementation answers at once; the shared
 * (Redis) one answers later, so callers must not assume the returned stage is already complete. A stage that
 * completes exceptionally (e.g. with {@link RateLimiterUnavailableException}) means no decision could be made.
 */
public interface RateLimiter extends AutoCloseable {

    /**
     * Counts one request for {@code key} if it is allowed; rejected requests are not counted, so a client that
     * backs off recovers. May complete later (a remote store).
     *
     * @param key   the client identity (API-key client name, or peer address)
     * @param limit the client's maximum number of requests per window, at least 1
     */
    CompletionStage<RateLimitDecision> acquire(String key, long limit);

    /**
     * The same as {@link #acquire} when the decision can be made at once, without waiting (a local limiter):
     * counts the request if allowed and returns the decision. Returns null, and counts nothing, when the decision
     * needs a wait; then call {@link #acquire}. Lets the request path skip a future per request.
     */
    default RateLimitDecision decideNow(String key, long limit) {
        return null;
    }

    /**
     * Drops state that no longer affects any decision. Meant for a scheduler, off the event loops; a limiter
     * whose state expires by itself does nothing.
     *
     * @return how many entries were removed
     */
    default int evictIdle() {
        return 0;
    }

    @Override
    default void close() {
    }
}
