package io.gatehouse.ratelimit;

import io.gatehouse.config.RateLimitPolicyConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The answer for one request over every policy that applies to it. All or nothing: {@code allowed} only when every
 * policy admitted the request, and then it was counted in each; otherwise it was counted in none, and the refusing
 * policies are the {@link #violated()} ones.
 *
 * @param allowed whether the request was admitted (and counted in every policy)
 * @param applied each policy with its decision, in the order the policies were given; when the request was refused,
 *                a policy that would have admitted it has an admitting decision whose {@code remaining} counts
 *                nothing for this request
 */
public record RateLimitResult(boolean allowed, List<Applied> applied) {

    /** One policy and its decision for the request. */
    public record Applied(RateLimitPolicyConfig policy, RateLimitDecision decision) {
        public Applied {
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(decision, "decision");
        }
    }

    public RateLimitResult {
        applied = List.copyOf(applied);
        if (applied.isEmpty()) {
            throw new IllegalArgumentException("a result needs at least one policy");
        }
        if (allowed != allAdmit(applied)) {
            throw new IllegalArgumentException("allowed must be true exactly when every policy admitted: " + applied);
        }
    }

    /** The result of these decisions: allowed when each one is. */
    public static RateLimitResult of(List<Applied> applied) {
        return new RateLimitResult(allAdmit(applied), applied);
    }

    /** A loop, not a stream: this runs for every rate-limited request. */
    private static boolean allAdmit(List<Applied> applied) {
        for (int i = 0; i < applied.size(); i++) {
            if (!applied.get(i).decision().allowed()) {
                return false;
            }
        }
        return true;
    }

    /** The result for one policy. */
    public static RateLimitResult of(RateLimitPolicyConfig policy, RateLimitDecision decision) {
        return new RateLimitResult(decision.allowed(), List.of(new Applied(policy, decision)));
    }

    /** The names of the policies that refused the request; empty when it was admitted. */
    public List<String> violated() {
        List<String> names = new ArrayList<>(1);
        for (Applied a : applied) {
            if (!a.decision().allowed()) {
                names.add(a.policy().name());
            }
        }
        return names;
    }

    /** When refused, the time until every refusing policy admits again (the longest of their waits); else 0. */
    public long retryAfterMillis() {
        long wait = 0;
        for (Applied a : applied) {
            wait = Math.max(wait, a.decision().retryAfterMillis());
        }
        return wait;
    }

    /** The policy with the least remaining (the first of equals): what the legacy {@code X-RateLimit-*} describe. */
    public Applied tightest() {
        Applied tightest = applied.get(0);
        for (Applied a : applied) {
            if (a.decision().remaining() < tightest.decision().remaining()) {
                tightest = a;
            }
        }
        return tightest;
    }
}
