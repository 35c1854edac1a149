package io.gatehouse.config;

/** Which rate-limit response headers the gateway sends ({@code rate_limit.headers}). */
public enum RateLimitHeaders {
    /** {@code X-RateLimit-Limit} and {@code X-RateLimit-Remaining}, for the policy with the least remaining. */
    LEGACY,
    /** The IETF {@code RateLimit-Policy} and {@code RateLimit} fields, one item per applied policy. */
    IETF
}
