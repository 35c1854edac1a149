package io.gatehouse.pipeline;

import io.gatehouse.config.RateLimitConfig;
import io.gatehouse.config.RateLimitHeaders;
import io.gatehouse.ratelimit.RateLimitFields;
import io.gatehouse.ratelimit.RateLimitResult;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.List;

/**
 * The rate-limit headers of a response, for {@link ResponseFinisher}: the legacy {@code X-RateLimit-Limit} and
 * {@code -Remaining} of the policy with the least remaining, and the IETF {@code RateLimit-Policy} and
 * {@code RateLimit} fields with an item per applied policy, as {@code rate_limit.headers} asks. What a backend sent
 * itself is kept: a legacy header it set is left alone, and the gateway's items are appended to its IETF fields.
 */
final class RateLimitResponseHeaders {

    static final AsciiString X_RATELIMIT_LIMIT = AsciiString.cached("X-RateLimit-Limit");
    static final AsciiString X_RATELIMIT_REMAINING = AsciiString.cached("X-RateLimit-Remaining");
    static final AsciiString RATELIMIT_POLICY = AsciiString.cached("RateLimit-Policy");
    static final AsciiString RATELIMIT = AsciiString.cached("RateLimit");

    private RateLimitResponseHeaders() {
    }

    static void decorate(HttpHeaders headers, RateLimitResult result, RateLimitConfig config) {
        if (config.headers().contains(RateLimitHeaders.LEGACY)) {
            RateLimitResult.Applied tightest = result.tightest();
            if (!headers.contains(X_RATELIMIT_LIMIT) && !headers.contains(X_RATELIMIT_REMAINING)) {
                headers.set(X_RATELIMIT_LIMIT, Long.toString(tightest.decision().limit()));
                headers.set(X_RATELIMIT_REMAINING, Long.toString(tightest.decision().remaining()));
            }
        }
        if (config.headers().contains(RateLimitHeaders.IETF)) {
            append(headers, RATELIMIT_POLICY, RateLimitFields.policy(result));
            append(headers, RATELIMIT, RateLimitFields.limit(result));
        }
    }

    /** One field value: the backend's members first, then ours (RFC 9651 §3.1: a List may be split across lines). */
    private static void append(HttpHeaders headers, AsciiString name, String ours) {
        List<String> theirs = headers.getAll(name);
        if (theirs.isEmpty()) {
            headers.set(name, ours);
            return;
        }
        StringBuilder value = new StringBuilder();
        for (String v : theirs) {
            if (!v.isBlank()) {
                value.append(v.strip()).append(", ");
            }
        }
        headers.set(name, value.append(ours).toString());
    }
}
