package io.gatehouse.config;

import java.time.Duration;
import java.util.Objects;

/**
 * One rate-limit policy: at most {@code limit} requests per client in any interval of length {@code window}. A
 * policy's counters belong to its name, limit and window together: a reload that keeps all three keeps every
 * client's counters, one that changes any of them starts that policy afresh.
 *
 * @param name   the name that keys and routes refer to, and that the {@code RateLimit} fields show; letters, digits
 *               and {@code - _ .}; {@value #DEFAULT} is the policy of a key's {@code rate_limit: N}
 * @param limit  requests per window, 1..{@value #MAX_LIMIT}
 * @param window the sliding window
 */
public record RateLimitPolicyConfig(String name, long limit, Duration window) {

    /** The name of the policy that {@code rate_limit.window} and a key's {@code rate_limit: N} describe. */
    public static final String DEFAULT = "default";
    public static final long MAX_LIMIT = 1_000_000_000L;
    /** The shortest window of a named policy: {@code RateLimit-Policy} states windows in whole seconds. */
    public static final Duration MIN_WINDOW = Duration.ofSeconds(1);
    public static final Duration MAX_WINDOW = Duration.ofDays(31);

    public RateLimitPolicyConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(window, "window");
        if (!isName(name)) {
            throw new IllegalArgumentException("policy name must be a letter, then letters, digits and - _ .: " + name);
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be in 1.." + MAX_LIMIT + ": " + limit);
        }
        if (window.isNegative() || window.isZero() || window.compareTo(MAX_WINDOW) > 0) {
            throw new IllegalArgumentException("window must be positive and at most 31 days: " + window);
        }
    }

    /** The {@value #DEFAULT} policy of a key with {@code rate_limit: limit}. */
    public static RateLimitPolicyConfig defaultPolicy(long limit, Duration window) {
        return new RateLimitPolicyConfig(DEFAULT, limit, window);
    }

    /** Whether {@code name} can name a policy: 1..64 of letters, digits, {@code - _ .}, starting with a letter. */
    public static boolean isName(String name) {
        if (name.isEmpty() || name.length() > 64) {
            return false;
        }
        char first = name.charAt(0);
        if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-_.".indexOf(c) >= 0)) {
                return false;
            }
        }
        return true;
    }
}
