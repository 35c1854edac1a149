package io.gatehouse.ratelimit;

import io.gatehouse.config.RateLimitPolicyConfig;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Decides whether one more request from a client fits every policy that applies to it, all or nothing. The local
 * implementation answers at once; the shared (Redis) one answers later, so callers must not assume the returned
 * stage is already complete. A stage that completes exceptionally (e.g. with
 * {@link RateLimiterUnavailableException}) means no decision could be made.
 *
 * <p>A client's counters belong to the policy's name, limit and window together, so they survive a config reload
 * that keeps all three, and a changed policy starts afresh.
 */
public interface RateLimiter extends AutoCloseable {

    /**
     * Counts one request for {@code key} in every policy if each admits it, and in none otherwise: rejected requests
     * are not counted, so a client that backs off recovers, and a request refused by one policy spends nothing of
     * the others. May complete later (a remote store).
     *
     * @param key      the client identity (API-key client name, or {@code ip:} and the client's address)
     * @param policies the policies that apply, at least one, with distinct names; the result keeps their order
     */
    CompletionStage<RateLimitResult> acquire(String key, List<RateLimitPolicyConfig> policies);

    /**
     * The same as {@link #acquire} when the decision can be made at once, without waiting (a local limiter):
     * counts the request if allowed and returns the result. Returns null, and counts nothing, when the decision
     * needs a wait; then call {@link #acquire}. Lets the request path skip a future per request.
     */
    default RateLimitResult decideNow(String key, List<RateLimitPolicyConfig> policies) {
        return null;
    }

    /**
     * The policies of the config now running (after a reload): state of any other policy may be dropped. Call off
     * the event loops.
     */
    default void retain(Collection<RateLimitPolicyConfig> policies) {
    }

    /**
     * Drops state that no longer affects any decision. Meant for a scheduler, about once a second, off the event
     * loops; a limiter whose state expires by itself does nothing.
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
