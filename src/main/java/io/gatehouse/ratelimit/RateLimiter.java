package io.gatehouse.ratelimit;

import java.util.concurrent.CompletionStage;

/**
 * Decides whether one more request from a client may pass. The local implementation answers at once; a shared
 * (Redis) one will answer later, so callers must not assume the returned stage is already complete.
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

    @Override
    default void close() {
    }
}
