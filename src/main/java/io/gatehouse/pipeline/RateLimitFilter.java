package io.gatehouse.pipeline;

import io.gatehouse.auth.ApiClient;
import io.gatehouse.config.RateLimitPolicyConfig;
import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.Filter;
import io.gatehouse.exchange.Json;
import io.gatehouse.exchange.Verdict;
import io.gatehouse.ratelimit.ClientAddresses;
import io.gatehouse.ratelimit.RateLimitFields;
import io.gatehouse.ratelimit.RateLimitResult;
import io.gatehouse.ratelimit.RateLimitPolicies;
import io.gatehouse.ratelimit.RateLimiter;
import io.gatehouse.ratelimit.RateLimiterUnavailableException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CompletionException;

/**
 * Rate limiting: after authentication on keyed routes, where each client is counted by its name against its own
 * policies and the route's; on an {@code auth: none} route with {@code rate_limit_by_ip}, where each client IP is
 * counted ({@link Exchange#clientIp()}, an IPv6 client by its /64). A request must fit every policy and is then
 * counted in each, or it is counted in none (the limiter's all-or-nothing).
 * <p>
 * A local limiter decides at once (no future per request); a shared one (Redis) answers later, and the request is
 * suspended until it does. Over a limit → 429 as {@code application/problem+json} (RFC 9457) naming the violated
 * policies, with {@code Retry-After}; the result goes on the exchange, and the finisher adds the rate-limit headers
 * to whatever response the request gets. No decision possible → 503.
 */
final class RateLimitFilter implements Filter {

    private static final Logger LOG = LoggerFactory.getLogger(RateLimitFilter.class);

    static final AsciiString PROBLEM_JSON = AsciiString.cached("application/problem+json");
    static final String PROBLEM_TYPE = "https://iana.org/assignments/http-problem-types#quota-exceeded";
    private static final String MESSAGE = "Rate limit exceeded";
    private static final Verdict UNAVAILABLE = Verdict.answer(
            Answer.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "Rate limiter unavailable")
                    .withFailure("rate limiter unavailable"));

    private final String name;
    private final RateLimiter limiter;
    /** Per client on a keyed route; null on a per-IP route. */
    private final RateLimitPolicies.ClientPolicies clients;
    /** The policies of a per-IP route; null on a keyed route. */
    private final List<RateLimitPolicyConfig> byIp;

    private RateLimitFilter(String name, RateLimiter limiter, RateLimitPolicies.ClientPolicies clients,
            List<RateLimitPolicyConfig> byIp) {
        this.name = name;
        this.limiter = limiter;
        this.clients = clients;
        this.byIp = byIp;
    }

    /** Counts each authenticated client by its name. */
    static RateLimitFilter perClient(RateLimiter limiter, RateLimitPolicies.ClientPolicies clients) {
        return new RateLimitFilter("rate-limit", limiter, clients, null);
    }

    /** Counts each client IP, on a route without authentication. */
    static RateLimitFilter perIp(RateLimiter limiter, List<RateLimitPolicyConfig> policies) {
        return new RateLimitFilter("rate-limit-by-ip", limiter, null, List.copyOf(policies));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Verdict apply(Exchange exchange) {
        String key;
        List<RateLimitPolicyConfig> policies;
        if (byIp != null) {
            key = ClientAddresses.key(exchange.clientIp());
            policies = byIp;
        } else {
            ApiClient client = exchange.client();
            if (client == null) {
                return Verdict.proceed();
            }
            key = client.limitKey();
            policies = clients.of(client.policyKey());
            if (policies.isEmpty()) {
                return Verdict.proceed();
            }
        }
        RateLimitResult now = limiter.decideNow(key, policies);
        if (now != null) {
            return decided(exchange, now);
        }
        return Verdict.suspend(limiter.acquire(key, policies),
                (RateLimitResult result, Throwable error) -> error != null ? failed(error) : decided(exchange, result));
    }

    private static Verdict decided(Exchange exchange, RateLimitResult result) {
        exchange.rateLimit(result);
        if (result.allowed()) {
            return Verdict.proceed();
        }
        return Verdict.answer(exceeded(result));
    }

    /** The 429: problem+json naming the violated policies, {@code Retry-After} the longest of their waits. */
    static Answer exceeded(RateLimitResult result) {
        StringBuilder violated = new StringBuilder();
        long retryAfter = 1;
        for (RateLimitResult.Applied a : result.applied()) {
            if (!a.decision().allowed()) {
                violated.append(violated.isEmpty() ? "" : ",").append(Json.quote(a.policy().name()));
                retryAfter = Math.max(retryAfter, RateLimitFields.seconds(a.decision()));
            }
        }
        String json = "{\"type\":" + Json.quote(PROBLEM_TYPE) + ",\"title\":" + Json.quote(MESSAGE)
                + ",\"status\":429,\"violated-policies\":[" + violated + "],\"error\":" + Json.quote(MESSAGE) + "}";
        return Answer.json(HttpResponseStatus.TOO_MANY_REQUESTS, json)
                .withHeader(HttpHeaderNames.CONTENT_TYPE, PROBLEM_JSON)
                .withHeader(HttpHeaderNames.RETRY_AFTER, retryAfter);
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
