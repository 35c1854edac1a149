package io.gatehouse.ratelimit;

/**
 * No decision could be made (the shared store did not answer and the configured policy is to refuse). The
 * rate-limit handler answers 503 for it. Carries no stack trace: it is an expected outcome, raised per request
 * while a store is down.
 */
public final class RateLimiterUnavailableException extends RuntimeException {

    public RateLimiterUnavailableException(String message) {
        super(message, null, false, false);
    }
}
