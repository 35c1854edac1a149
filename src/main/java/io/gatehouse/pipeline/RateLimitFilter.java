package io.gatehouse.pipeline;

import io.gatehouse.auth.ApiClient;
import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.Filter;
import io.gatehouse.exchange.Verdict;
import io.gatehouse.ratelimit.RateLimitDecision;
import io.gatehouse.ratelimit.RateLimiter;
import io.gatehouse.ratelimit.RateLimiterUnavailableException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CompletionException;

/**
 * Per-client rate limiting, after authentication on keyed routes. A local limiter decides at once (no future per
 * request); a shared one (Redis) answers later, and the request is suspended until it does. Over the limit → 429
 * with {@code Retry-After}; the decision goes on the exchange, and the finisher adds {@code X-RateLimit-Limit} and
 * {@code X-RateLimit-Remaining} to whatever response the request gets. No decision possible → 503.
 */
final class RateLimitFilter implements Filter {

    private static final Logger LOG = LoggerFactory.getLogger(RateLimitFilter.class);

    private static final Answer EXCEEDED = Answer.error(HttpResponseStatus.TOO_MANY_REQUESTS, "Rate limit exceeded");
    private static final Verdict UNAVAILABLE = Verdict.answer(
            Answer.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "Rate limiter unavailable")
                    .withFailure("rate limiter unavailable"));

    private final RateLimiter limiter;

    RateLimitFilter(RateLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public String name() {
        return "rate-limit";
    }

    @Override
    public Verdict apply(Exchange exchange) {
        ApiClient client = exchange.client();
        if (client == null) {
            return Verdict.proceed();
        }
        RateLimitDecision now = limiter.decideNow(client.name(), client.rateLimit());
        if (now != null) {
            return decided(exchange, now);
        }
        return Verdict.suspend(limiter.acquire(client.name(), client.rateLimit()),
                (RateLimitDecision decision, Throwable error) ->
                        error != null ? failed(error) : decided(exchange, decision));
    }

    private static Verdict decided(Exchange exchange, RateLimitDecision decision) {
        exchange.rateLimit(decision);
        if (decision.allowed()) {
            return Verdict.proceed();
        }
        long retryAfterSeconds = Math.max(1, (decision.retryAfterMillis() + 999) / 1000);
        return Verdict.answer(EXCEEDED.withHeader(HttpHeaderNames.RETRY_AFTER, retryAfterSeconds));
    }

    private static Verdict failed(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof RateLimiterUnavailableException) {
            // The limiter logs each outage once; one line per refused request would flood the log.
            LOG.debug("rate limiter unavailable: {}", cause.getMessage());
        } else {
            LOG.warn("rate limiter failed: {}", cause.toString());
        }
        return UNAVAILABLE;
    }
}
