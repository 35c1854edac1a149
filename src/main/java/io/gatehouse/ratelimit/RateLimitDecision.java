package io.gatehouse.ratelimit;

/**
 * The answer to one {@link RateLimiter#acquire} call, with what the rate-limit response headers need.
 *
 * @param allowed          whether the request was admitted (and counted)
 * @param limit            the limit the request was checked against
 * @param remaining        how many more requests would be admitted right now; 0 when rejected
 * @param retryAfterMillis 0 when allowed; when rejected, at least 1: the time until a request would be admitted,
 *                         if no other request is admitted meanwhile
 * @param resetMillis      the time until every request counted so far has left the window, i.e. until
 *                         {@code remaining} is back to {@code limit} if nothing else is admitted; 0 when nothing is
 *                         counted. Always at least {@code retryAfterMillis}.
 */
public record RateLimitDecision(boolean allowed, long limit, long remaining, long retryAfterMillis,
                                long resetMillis) {

    public RateLimitDecision {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1: " + limit);
        }
        if (remaining < 0 || remaining > limit) {
            throw new IllegalArgumentException("remaining must be in 0.." + limit + ": " + remaining);
        }
        if (allowed ? retryAfterMillis != 0 : retryAfterMillis < 1) {
            throw new IllegalArgumentException(
                    "retryAfterMillis must be 0 when allowed and at least 1 when rejected: " + retryAfterMillis);
        }
        if (!allowed && remaining != 0) {
            throw new IllegalArgumentException("remaining must be 0 when rejected: " + remaining);
        }
        if (resetMillis < retryAfterMillis) {
            throw new IllegalArgumentException(
                    "resetMillis " + resetMillis + " is before retryAfterMillis " + retryAfterMillis);
        }
    }

    /** An admitted request. */
    public static RateLimitDecision allow(long limit, long remaining, long resetMillis) {
        return new RateLimitDecision(true, limit, remaining, 0, resetMillis);
    }

    /** A rejected request, not counted. */
    public static RateLimitDecision reject(long limit, long retryAfterMillis, long resetMillis) {
        return new RateLimitDecision(false, limit, 0, retryAfterMillis, resetMillis);
    }
}
