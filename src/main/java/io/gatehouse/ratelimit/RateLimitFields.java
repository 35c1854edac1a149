package io.gatehouse.ratelimit;

import io.gatehouse.config.RateLimitPolicyConfig;

/**
 * The IETF rate-limit fields (draft-ietf-httpapi-ratelimit-headers-10) for one result, one item per applied
 * policy in the order the policies apply:
 * <pre>
 * RateLimit-Policy: "burst";q=20;w=1, "daily";q=10000;w=86400
 * RateLimit: "burst";r=12;t=1, "daily";r=9876;t=41234
 * </pre>
 * {@code q} is the policy's limit, {@code w} its window in seconds (rounded up, so a sub-second {@code default}
 * window reads 1); {@code r} is the remaining quota; {@code t} the seconds until quota is next available — for a
 * policy that refused the request, until it admits one again (at least 1), otherwise until everything it counted
 * has left the window (0 when nothing is counted). Both are rounded up.
 */
public final class RateLimitFields {

    private RateLimitFields() {
    }

    /** The {@code RateLimit-Policy} value. */
    public static String policy(RateLimitResult result) {
        StringBuilder out = new StringBuilder(32 * result.applied().size());
        for (RateLimitResult.Applied a : result.applied()) {
            RateLimitPolicyConfig policy = a.policy();
            StructuredFields.string(StructuredFields.member(out), policy.name());
            StructuredFields.integerParameter(out, "q", policy.limit());
            StructuredFields.integerParameter(out, "w", Math.max(1, ceilSeconds(policy.window().toMillis())));
        }
        return out.toString();
    }

    /** The {@code RateLimit} value. */
    public static String limit(RateLimitResult result) {
        StringBuilder out = new StringBuilder(32 * result.applied().size());
        for (RateLimitResult.Applied a : result.applied()) {
            RateLimitDecision d = a.decision();
            StructuredFields.string(StructuredFields.member(out), a.policy().name());
            StructuredFields.integerParameter(out, "r", d.remaining());
            StructuredFields.integerParameter(out, "t", seconds(d));
        }
        return out.toString();
    }

    /** The {@code t} of one decision; for a refusing one also the least {@code Retry-After}. */
    public static long seconds(RateLimitDecision d) {
        return d.allowed() ? ceilSeconds(d.resetMillis()) : Math.max(1, ceilSeconds(d.retryAfterMillis()));
    }

    private static long ceilSeconds(long millis) {
        return millis <= 0 ? 0 : (millis + 999) / 1000;
    }
}
