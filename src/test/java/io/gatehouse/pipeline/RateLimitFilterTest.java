package io.gatehouse.pipeline;

import static io.gatehouse.testing.HttpFixtures.CLIENT;
import static io.gatehouse.testing.HttpFixtures.config;
import static io.gatehouse.testing.HttpFixtures.exchange;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.auth.ApiClient;
import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.exchange.Verdict;
import io.gatehouse.ratelimit.RateLimitDecision;
import io.gatehouse.ratelimit.RateLimiter;
import io.gatehouse.ratelimit.RateLimiterUnavailableException;
import io.gatehouse.ratelimit.SlidingWindowRateLimiter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

class RateLimitFilterTest {

    private static final RuntimeConfig CONFIG = config();
    private static final RateLimitDecision ALLOWED = RateLimitDecision.allow(100, 42, 60_000);

    @Test
    void admitsAtOnceThroughALocalLimiterWithoutAFuture() {
        LocalLimiter limiter = new LocalLimiter(ALLOWED);
        Exchange exchange = keyed();

        Verdict verdict = new RateLimitFilter(limiter).apply(exchange);

        assertThat(verdict.proceeds()).isTrue();
        assertThat(verdict.later()).isNull();
        assertThat(limiter.calls).containsExactly(CLIENT + "/100");
        assertThat(exchange.rateLimit()).isEqualTo(ALLOWED);
    }

    @Test
    void rejectsAtOnceWith429AndRetryAfterInWholeSecondsRoundedUp() {
        RateLimitDecision rejected = RateLimitDecision.reject(100, 1_500, 30_000);
        Exchange exchange = keyed();

        Verdict verdict = new RateLimitFilter(new LocalLimiter(rejected)).apply(exchange);

        assertTooManyRequests(verdict, "2");
        assertThat(exchange.rateLimit()).isEqualTo(rejected);
    }

    @Test
    void roundsAShortRetryAfterUpToOneSecond() {
        Verdict verdict = new RateLimitFilter(new LocalLimiter(RateLimitDecision.reject(100, 1, 1))).apply(keyed());

        assertTooManyRequests(verdict, "1");
    }

    @Test
    void keepsAnExactSecondAsIs() {
        Verdict verdict = new RateLimitFilter(new LocalLimiter(RateLimitDecision.reject(100, 3_000, 3_000)))
                .apply(keyed());

        assertTooManyRequests(verdict, "3");
    }

    @Test
    void decidesAtOnceWithTheRealLocalLimiterAndCountsTheRequest() {
        SlidingWindowRateLimiter limiter = new SlidingWindowRateLimiter(Duration.ofMinutes(1), () -> 0L);
        RateLimitFilter filter = new RateLimitFilter(limiter);
        Exchange first = exchange(CONFIG, request(HttpMethod.GET, "/api/users"));
        first.client(new ApiClient(CLIENT, 1));
        Exchange second = exchange(CONFIG, request(HttpMethod.GET, "/api/users"));
        second.client(new ApiClient(CLIENT, 1));

        Verdict admitted = filter.apply(first);
        Verdict refused = filter.apply(second);

        assertThat(admitted.proceeds()).isTrue();
        assertThat(first.rateLimit().remaining()).isZero();
        assertThat(refused.later()).isNull();
        assertThat(refused.answer().status()).isEqualTo(HttpResponseStatus.TOO_MANY_REQUESTS);
    }

    @Test
    void suspendsOnARemoteLimiterAndProceedsWhenItAdmits() {
        CompletableFuture<RateLimitDecision> later = new CompletableFuture<>();
        RemoteLimiter limiter = new RemoteLimiter(later);
        Exchange exchange = keyed();

        Verdict verdict = new RateLimitFilter(limiter).apply(exchange);

        assertThat(verdict.proceeds()).isFalse();
        assertThat(verdict.answer()).isNull();
        assertThat(verdict.later()).isSameAs(later);
        assertThat(exchange.rateLimit()).isNull();
        assertThat(limiter.calls).containsExactly(CLIENT + "/100");

        later.complete(ALLOWED);
        Verdict resumed = verdict.resume(ALLOWED, null);

        assertThat(resumed.proceeds()).isTrue();
        assertThat(exchange.rateLimit()).isEqualTo(ALLOWED);
    }

    @Test
    void answers429WithRetryAfterWhenARemoteLimiterSaysNo() {
        RateLimitDecision rejected = RateLimitDecision.reject(100, 3_000, 30_000);
        Exchange exchange = keyed();

        Verdict verdict = new RateLimitFilter(new RemoteLimiter(new CompletableFuture<>())).apply(exchange);
        Verdict resumed = verdict.resume(rejected, null);

        assertTooManyRequests(resumed, "3");
        assertThat(exchange.rateLimit()).isEqualTo(rejected);
    }

    @Test
    void answers503WhenARemoteLimiterIsUnavailable() {
        Exchange exchange = keyed();
        Verdict verdict = new RateLimitFilter(new RemoteLimiter(new CompletableFuture<>())).apply(exchange);

        assertUnavailable(verdict.resume(null, new RateLimiterUnavailableException("redis down")));
        assertUnavailable(verdict.resume(null,
                new CompletionException(new RateLimiterUnavailableException("redis down"))));
        assertThat(exchange.rateLimit()).isNull();
    }

    @Test
    void answers503WhenARemoteLimiterFailsInAnyOtherWay() {
        Verdict verdict = new RateLimitFilter(new RemoteLimiter(new CompletableFuture<>())).apply(keyed());

        assertUnavailable(verdict.resume(null, new IllegalStateException("store down")));
    }

    @Test
    void proceedsWithoutAskingTheLimiterWhenNoClientWasFound() {
        LocalLimiter local = new LocalLimiter(ALLOWED);
        RemoteLimiter remote = new RemoteLimiter(new CompletableFuture<>());
        Exchange exchange = exchange(CONFIG, request(HttpMethod.GET, "/api/users"));

        assertThat(new RateLimitFilter(local).apply(exchange).proceeds()).isTrue();
        assertThat(new RateLimitFilter(remote).apply(exchange).proceeds()).isTrue();

        assertThat(local.calls).isEmpty();
        assertThat(remote.calls).isEmpty();
        assertThat(exchange.rateLimit()).isNull();
    }

    @Test
    void isOnlyInTheChainOfAKeyedRouteAfterTheKeyCheck() {
        assertThat(Filters.describe(CONFIG)).containsExactly(
                "/api/users: framing -> cors-preflight -> health -> routing -> api-key -> body-limit(10485760)"
                        + " -> rate-limit -> upstream -> proxy(http://localhost:4001)",
                "/open: framing -> cors-preflight -> health -> routing -> body-limit(10485760)"
                        + " -> upstream -> proxy(http://localhost:4002)");
    }

    private static Exchange keyed() {
        Exchange exchange = exchange(CONFIG, request(HttpMethod.GET, "/api/users"));
        exchange.client(new ApiClient(CLIENT, 100));
        return exchange;
    }

    private static void assertTooManyRequests(Verdict verdict, String retryAfter) {
        Answer answer = verdict.answer();
        assertThat(answer).as("%s", verdict).isNotNull();
        assertThat(answer.status()).isEqualTo(HttpResponseStatus.TOO_MANY_REQUESTS);
        assertThat(answer.json()).isEqualTo("{\"error\":\"Rate limit exceeded\"}");
        assertThat(answer.close()).isFalse();
        assertThat(answer.headers().get(HttpHeaderNames.RETRY_AFTER)).isEqualTo(retryAfter);
    }

    private static void assertUnavailable(Verdict verdict) {
        Answer answer = verdict.answer();
        assertThat(answer).as("%s", verdict).isNotNull();
        assertThat(answer.status()).isEqualTo(HttpResponseStatus.SERVICE_UNAVAILABLE);
        assertThat(answer.json()).isEqualTo("{\"error\":\"Rate limiter unavailable\"}");
        assertThat(answer.close()).isFalse();
        assertThat(answer.failure()).isEqualTo("rate limiter unavailable");
    }

    /** Decides at once; a future is never asked for, and asking for one fails the test. */
    private static final class LocalLimiter implements RateLimiter {
        final List<String> calls = new ArrayList<>();
        private final RateLimitDecision decision;

        LocalLimiter(RateLimitDecision decision) {
            this.decision = decision;
        }

        @Override
        public RateLimitDecision decideNow(String key, long limit) {
            calls.add(key + "/" + limit);
            return decision;
        }

        @Override
        public CompletionStage<RateLimitDecision> acquire(String key, long limit) {
            throw new AssertionError("a local decision needs no future");
        }
    }

    /** Never decides at once, like the shared store: every decision is the future it was given. */
    private static final class RemoteLimiter implements RateLimiter {
        final List<String> calls = new ArrayList<>();
        private final CompletableFuture<RateLimitDecision> next;

        RemoteLimiter(CompletableFuture<RateLimitDecision> next) {
            this.next = next;
        }

        @Override
        public CompletionStage<RateLimitDecision> acquire(String key, long limit) {
            calls.add(key + "/" + limit);
            return next;
        }
    }
}
