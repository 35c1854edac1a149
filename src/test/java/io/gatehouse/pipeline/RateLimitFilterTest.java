package io.gatehouse.pipeline;

import static io.gatehouse.testing.HttpFixtures.CLIENT;
import static io.gatehouse.testing.HttpFixtures.config;
import static io.gatehouse.testing.HttpFixtures.exchange;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.auth.ApiClient;
import io.gatehouse.config.RateLimitPolicyConfig;
import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.exchange.Verdict;
import io.gatehouse.ratelimit.LocalRateLimiter;
import io.gatehouse.ratelimit.RateLimitDecision;
import io.gatehouse.ratelimit.RateLimitResult;
import io.gatehouse.ratelimit.RateLimiter;
import io.gatehouse.ratelimit.RateLimiterUnavailableException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

class RateLimitFilterTest {

    private static final String POLICIES = """
            server:
              port: 0
            auth:
              keys:
                - key: key_live_abc123
                  name: mobile-app
                  rate_limit: 100
                - key: key_live_partner
                  name: partner
                  policies: [burst, daily]
            rate_limit:
              policies:
                burst: { limit: 2, window: 1s }
                daily: { limit: 3, window: 24h }
            routes:
              - prefix: /api/search
                upstream: http://localhost:4001
                policies: [burst]
              - prefix: /api
                upstream: http://localhost:4001
              - prefix: /public
                upstream: http://localhost:4002
                auth: none
                rate_limit_by_ip: burst
              - prefix: /open
                upstream: http://localhost:4002
                auth: none
            """;
    private static final RuntimeConfig CONFIG = config();
    private static final RateLimitPolicyConfig DEFAULT_100 =
            RateLimitPolicyConfig.defaultPolicy(100, Duration.ofSeconds(60));
    private static final RateLimitDecision ALLOWED = RateLimitDecision.allow(100, 42, 60_000);
    private static final String PROBLEM = "{\"type\":\"https://iana.org/assignments/http-problem-types#quota-exceeded\","
            + "\"title\":\"Rate limit exceeded\",\"status\":429,\"violated-policies\":[\"default\"],"
            + "\"error\":\"Rate limit exceeded\"}";

    @Test
    void admitsAtOnceThroughALocalLimiterWithoutAFuture() {
        LocalLimiter limiter = new LocalLimiter(ALLOWED);
        Exchange exchange = keyed();

        Verdict verdict = keyedFilter(limiter).apply(exchange);

        assertThat(verdict.proceeds()).isTrue();
        assertThat(verdict.later()).isNull();
        assertThat(limiter.calls).containsExactly(CLIENT + "/[default]");
        assertThat(exchange.rateLimit().applied()).containsExactly(new RateLimitResult.Applied(DEFAULT_100, ALLOWED));
    }

    @Test
    void rejectsAtOnceWith429ProblemJsonAndRetryAfterInWholeSecondsRoundedUp() {
        RateLimitDecision rejected = RateLimitDecision.reject(100, 1_500, 30_000);
        Exchange exchange = keyed();

        Verdict verdict = keyedFilter(new LocalLimiter(rejected)).apply(exchange);

        assertTooManyRequests(verdict, "2");
        assertThat(exchange.rateLimit().applied().get(0).decision()).isEqualTo(rejected);
    }

    @Test
    void roundsAShortRetryAfterUpToOneSecond() {
        assertTooManyRequests(keyedFilter(new LocalLimiter(RateLimitDecision.reject(100, 1, 1))).apply(keyed()), "1");
    }

    @Test
    void keepsAnExactSecondAsIs() {
        assertTooManyRequests(keyedFilter(new LocalLimiter(RateLimitDecision.reject(100, 3_000, 3_000)))
                .apply(keyed()), "3");
    }

    @Test
    void namesEveryViolatedPolicyAndWaitsForTheLongestOfThem() {
        RateLimitPolicyConfig burst = new RateLimitPolicyConfig("burst", 20, Duration.ofSeconds(1));
        RateLimitPolicyConfig hourly = new RateLimitPolicyConfig("hourly", 1000, Duration.ofHours(1));
        RateLimitPolicyConfig daily = new RateLimitPolicyConfig("daily", 10000, Duration.ofDays(1));
        RateLimitResult result = RateLimitResult.of(List.of(
                new RateLimitResult.Applied(burst, RateLimitDecision.reject(20, 400, 900)),
                new RateLimitResult.Applied(hourly, RateLimitDecision.allow(1000, 7, 10_000)),
                new RateLimitResult.Applied(daily, RateLimitDecision.reject(10000, 41_233_001, 86_000_000))));

        Answer answer = RateLimitFilter.exceeded(result);

        assertThat(answer.json()).contains("\"violated-policies\":[\"burst\",\"daily\"]");
        assertThat(answer.headers().get(HttpHeaderNames.RETRY_AFTER)).isEqualTo("41234");
    }

    @Test
    void decidesAtOnceWithTheRealLocalLimiterAndCountsTheRequest() {
        RuntimeConfig config = config(POLICIES, new LocalRateLimiter(() -> 0L));
        Exchange first = keyed(config, "/api/users", "partner");
        Exchange second = keyed(config, "/api/users", "partner");
        Exchange third = keyed(config, "/api/users", "partner");

        assertThat(run(config, first).proceeds()).isTrue();
        assertThat(run(config, second).proceeds()).isTrue();
        Verdict refused = run(config, third);

        assertThat(second.rateLimit().applied()).extracting(a -> a.policy().name() + "=" + a.decision().remaining())
                .containsExactly("burst=0", "daily=1");
        assertThat(refused.later()).isNull();
        assertThat(refused.answer().status()).isEqualTo(HttpResponseStatus.TOO_MANY_REQUESTS);
        assertThat(third.rateLimit().violated()).containsExactly("burst");
    }

    @Test
    void stacksARoutesPoliciesOnTheClientsOwnOnce() {
        RecordingLimiter limiter = new RecordingLimiter();
        RuntimeConfig config = config(POLICIES, limiter);

        run(config, keyed(config, "/api/search/q", "partner"));
        run(config, keyed(config, "/api/search/q", CLIENT));
        run(config, keyed(config, "/api/x", CLIENT));

        assertThat(limiter.calls).containsExactly("partner/[burst, daily]", CLIENT + "/[default, burst]",
                CLIENT + "/[default]");
    }

    @Test
    void countsAnOpenRouteByTheClientIpAndIpv6ByItsSlash64() throws Exception {
        RecordingLimiter limiter = new RecordingLimiter();
        RuntimeConfig config = config(POLICIES, limiter);
        Exchange v4 = exchange(config, request(HttpMethod.GET, "/public/a"));
        v4.peer(InetAddress.getByName("192.0.2.7"));
        Exchange v6 = exchange(config, request(HttpMethod.GET, "/public/a"));
        v6.peer(InetAddress.getByName("2001:db8:0:1:aaaa::1"));
        Exchange open = exchange(config, request(HttpMethod.GET, "/open/a"));
        open.peer(InetAddress.getByName("192.0.2.7"));

        run(config, v4);
        run(config, v6);
        run(config, open);

        assertThat(limiter.calls).containsExactly("#ip:192.0.2.7/[burst]", "#ip:2001:db8:0:1::/64/[burst]");
    }

    @Test
    void suspendsOnARemoteLimiterAndProceedsWhenItAdmits() {
        CompletableFuture<RateLimitResult> later = new CompletableFuture<>();
        RemoteLimiter limiter = new RemoteLimiter(later);
        Exchange exchange = keyed();

        Verdict verdict = keyedFilter(limiter).apply(exchange);

        assertThat(verdict.proceeds()).isFalse();
        assertThat(verdict.answer()).isNull();
        assertThat(verdict.later()).isSameAs(later);
        assertThat(exchange.rateLimit()).isNull();
        assertThat(limiter.calls).containsExactly(CLIENT + "/[default]");

        RateLimitResult allowed = RateLimitResult.of(DEFAULT_100, ALLOWED);
        later.complete(allowed);
        Verdict resumed = verdict.resume(allowed, null);

        assertThat(resumed.proceeds()).isTrue();
        assertThat(exchange.rateLimit()).isEqualTo(allowed);
    }

    @Test
    void answers429WithRetryAfterWhenARemoteLimiterSaysNo() {
        RateLimitResult rejected = RateLimitResult.of(DEFAULT_100, RateLimitDecision.reject(100, 3_000, 30_000));
        Exchange exchange = keyed();

        Verdict verdict = keyedFilter(new RemoteLimiter(new CompletableFuture<>())).apply(exchange);
        Verdict resumed = verdict.resume(rejected, null);

        assertTooManyRequests(resumed, "3");
        assertThat(exchange.rateLimit()).isEqualTo(rejected);
    }

    @Test
    void answers503WhenARemoteLimiterIsUnavailable() {
        Exchange exchange = keyed();
        Verdict verdict = keyedFilter(new RemoteLimiter(new CompletableFuture<>())).apply(exchange);

        assertUnavailable(verdict.resume(null, new RateLimiterUnavailableException("redis down")));
        assertUnavailable(verdict.resume(null,
                new CompletionException(new RateLimiterUnavailableException("redis down"))));
        assertThat(exchange.rateLimit()).isNull();
    }

    @Test
    void answers503WhenARemoteLimiterFailsInAnyOtherWay() {
        Verdict verdict = keyedFilter(new RemoteLimiter(new CompletableFuture<>())).apply(keyed());

        assertUnavailable(verdict.resume(null, new IllegalStateException("store down")));
    }

    @Test
    void proceedsWithoutAskingTheLimiterWhenNoClientWasFound() {
        LocalLimiter local = new LocalLimiter(ALLOWED);
        RemoteLimiter remote = new RemoteLimiter(new CompletableFuture<>());
        Exchange exchange = exchange(CONFIG, request(HttpMethod.GET, "/api/users"));

        assertThat(keyedFilter(local).apply(exchange).proceeds()).isTrue();
        assertThat(keyedFilter(remote).apply(exchange).proceeds()).isTrue();

        assertThat(local.calls).isEmpty();
        assertThat(remote.calls).isEmpty();
        assertThat(exchange.rateLimit()).isNull();
    }

    @Test
    void isOnlyInTheChainOfAKeyedRouteAfterTheKeyCheckOrOfAnOpenRouteLimitedByIp() {
        assertThat(Filters.describe(CONFIG)).containsExactly(
                "/api/users: framing -> cors-preflight -> health -> routing -> api-key -> body-limit(10485760)"
                        + " -> rate-limit -> upstream -> proxy(http://localhost:4001)",
                "/open: framing -> cors-preflight -> health -> routing -> body-limit(10485760)"
                        + " -> upstream -> proxy(http://localhost:4002)");
        assertThat(Filters.describe(config(POLICIES))).contains(
                "/public: framing -> cors-preflight -> health -> routing -> body-limit(10485760)"
                        + " -> rate-limit-by-ip -> upstream -> proxy(http://localhost:4002)");
    }

    private static RateLimitFilter keyedFilter(RateLimiter limiter) {
        RuntimeConfig config = config(io.gatehouse.testing.HttpFixtures.YAML, limiter);
        var chain = config.chain(config.routes().match("/api/users"));
        for (int i = 0; i < chain.size(); i++) {
            if (chain.get(i) instanceof RateLimitFilter filter) {
                return filter;
            }
        }
        throw new AssertionError("no rate-limit filter in " + chain);
    }

    private static Verdict run(RuntimeConfig config, Exchange exchange) {
        var route = config.routes().match(exchange.rawUri());
        exchange.route(route);
        var chain = config.chain(route);
        for (int i = 0; i < chain.size(); i++) {
            if (chain.get(i) instanceof RateLimitFilter filter) {
                return filter.apply(exchange);
            }
        }
        return Verdict.proceed();
    }

    private static Exchange keyed() {
        Exchange exchange = exchange(CONFIG, request(HttpMethod.GET, "/api/users"));
        exchange.client(new ApiClient(CLIENT, 100));
        return exchange;
    }

    private static Exchange keyed(RuntimeConfig config, String path, String client) {
        Exchange exchange = exchange(config, request(HttpMethod.GET, path));
        exchange.client(new ApiClient(client, 100));
        return exchange;
    }

    private static void assertTooManyRequests(Verdict verdict, String retryAfter) {
        Answer answer = verdict.answer();
        assertThat(answer).as("%s", verdict).isNotNull();
        assertThat(answer.status()).isEqualTo(HttpResponseStatus.TOO_MANY_REQUESTS);
        assertThat(answer.json()).isEqualTo(PROBLEM);
        assertThat(answer.close()).isFalse();
        assertThat(answer.headers().get(HttpHeaderNames.RETRY_AFTER)).isEqualTo(retryAfter);
        assertThat(answer.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/problem+json");
    }

    private static void assertUnavailable(Verdict verdict) {
        Answer answer = verdict.answer();
        assertThat(answer).as("%s", verdict).isNotNull();
        assertThat(answer.status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
        assertThat(answer.json()).isEqualTo("{\"error\":\"Rate limiter unavailable\"}");
        assertThat(answer.close()).isFalse();
        assertThat(answer.failure()).isEqualTo("rate limiter unavailable");
    }

    private static String names(List<RateLimitPolicyConfig> policies) {
        return policies.stream().map(RateLimitPolicyConfig::name).toList().toString();
    }

    /** Decides at once; a future is never asked for, and asking for one fails the test. */
    private static final class LocalLimiter implements RateLimiter {
        final List<String> calls = new ArrayList<>();
        private final RateLimitDecision decision;

        LocalLimiter(RateLimitDecision decision) {
            this.decision = decision;
        }

        @Override
        public RateLimitResult decideNow(String key, List<RateLimitPolicyConfig> policies) {
            calls.add(key + "/" + names(policies));
            return RateLimitResult.of(policies.get(0), decision);
        }

        @Override
        public CompletionStage<RateLimitResult> acquire(String key, List<RateLimitPolicyConfig> policies) {
            throw new AssertionError("a local decision needs no future");
        }
    }

    /** Admits everything at once and records who was counted against what. */
    private static final class RecordingLimiter implements RateLimiter {
        final List<String> calls = new ArrayList<>();

        @Override
        public RateLimitResult decideNow(String key, List<RateLimitPolicyConfig> policies) {
            calls.add(key + "/" + names(policies));
            return RateLimitResult.of(policies.stream().map(p -> new RateLimitResult.Applied(p,
                    RateLimitDecision.allow(p.limit(), p.limit() - 1, 1000))).toList());
        }

        @Override
        public CompletionStage<RateLimitResult> acquire(String key, List<RateLimitPolicyConfig> policies) {
            throw new AssertionError("a local decision needs no future");
        }
    }

    /** Never decides at once, like the shared store: every decision is the future it was given. */
    private static final class RemoteLimiter implements RateLimiter {
        final List<String> calls = new ArrayList<>();
        private final CompletableFuture<RateLimitResult> next;

        RemoteLimiter(CompletableFuture<RateLimitResult> next) {
            this.next = next;
        }

        @Override
        public CompletionStage<RateLimitResult> acquire(String key, List<RateLimitPolicyConfig> policies) {
            calls.add(key + "/" + names(policies));
            return next;
        }
    }
}
