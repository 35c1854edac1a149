package io.gatehouse.pipeline;

import static io.gatehouse.testing.HttpFixtures.CLIENT;
import static io.gatehouse.testing.HttpFixtures.KEY;
import static io.gatehouse.testing.HttpFixtures.body;
import static io.gatehouse.testing.HttpFixtures.config;
import static io.gatehouse.testing.HttpFixtures.content;
import static io.gatehouse.testing.HttpFixtures.last;
import static io.gatehouse.testing.HttpFixtures.readResponse;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.ratelimit.RateLimitDecision;
import io.gatehouse.ratelimit.RateLimiter;
import io.gatehouse.testing.HttpFixtures.ExchangeStarter;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

class RateLimitHandlerTest {

    private static final RateLimitDecision ALLOWED = RateLimitDecision.allow(100, 42, 60_000);

    private final FakeLimiter limiter = new FakeLimiter();
    /** Routing and auth first: the handler limits the client that authentication found. */
    private final EmbeddedChannel channel = new EmbeddedChannel(new ExchangeStarter(config()),
            new RoutingHandler(), new ApiKeyAuthHandler(), new RateLimitHandler(limiter));

    @Test
    void passesAnAdmittedRequestOnUnchangedWhenTheDecisionIsImmediate() {
        limiter.next = CompletableFuture.completedFuture(ALLOWED);
        HttpRequest request = keyed(HttpMethod.POST, "/api/users", "Content-Length", "4");
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request, body, end);

        assertThat(limiter.calls).containsExactly(CLIENT + "/100");
        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(body);
        assertThat((Object) channel.readInbound()).isSameAs(end);
        assertThat(body.refCnt()).isEqualTo(1);
        body.release();
        end.release();
        assertThat(Exchange.of(channel).rateLimit()).isEqualTo(ALLOWED);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void addsTheRateLimitHeadersToAStreamedResponseHead() {
        limiter.next = CompletableFuture.completedFuture(ALLOWED);
        channel.writeInbound(keyed(HttpMethod.GET, "/api/users"), LastHttpContent.EMPTY_LAST_CONTENT);
        drainInbound();
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);

        channel.writeOutbound(head, LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat((Object) channel.readOutbound()).isSameAs(head);
        assertThat((Object) channel.readOutbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(head.headers().get(RateLimitHandler.X_RATELIMIT_LIMIT)).isEqualTo("100");
        assertThat(head.headers().get(RateLimitHandler.X_RATELIMIT_REMAINING)).isEqualTo("42");
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void addsTheRateLimitHeadersToAFullResponse() {
        limiter.next = CompletableFuture.completedFuture(ALLOWED);
        channel.writeInbound(keyed(HttpMethod.GET, "/api/users"), LastHttpContent.EMPTY_LAST_CONTENT);
        drainInbound();

        channel.writeOutbound(GatewayResponses.error(ByteBufAllocator.DEFAULT, HttpResponseStatus.BAD_GATEWAY,
                "Service unavailable"));

        FullHttpResponse response = readResponse(channel);
        assertThat(response.headers().get(RateLimitHandler.X_RATELIMIT_LIMIT)).isEqualTo("100");
        assertThat(response.headers().get(RateLimitHandler.X_RATELIMIT_REMAINING)).isEqualTo("42");
        response.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void rejectsWith429AndRetryAfterAndReleasesBodyWhenTheDecisionIsImmediate() {
        limiter.next = CompletableFuture.completedFuture(RateLimitDecision.reject(100, 1_500, 30_000));
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(keyed(HttpMethod.POST, "/api/users", "Content-Length", "4"), body, end);

        assertTooManyRequests("2");
        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
    }

    @Test
    void roundsAShortRetryAfterUpToOneSecond() {
        limiter.next = CompletableFuture.completedFuture(RateLimitDecision.reject(100, 1, 1));

        channel.writeInbound(keyed(HttpMethod.GET, "/api/users"), LastHttpContent.EMPTY_LAST_CONTENT);

        assertTooManyRequests("1");
    }

    @Test
    void holdsTheRequestAndBodyUntilALaterDecisionThenPassesThemOnInOrder() {
        CompletableFuture<RateLimitDecision> later = new CompletableFuture<>();
        limiter.next = later;
        HttpRequest request = keyed(HttpMethod.POST, "/api/users", "Content-Length", "4");
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request, body, end);
        channel.runPendingTasks();
        assertThat((Object) channel.readInbound()).isNull();

        later.complete(ALLOWED);
        channel.runPendingTasks();

        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(body);
        assertThat((Object) channel.readInbound()).isSameAs(end);
        assertThat(end.refCnt()).isEqualTo(1);
        body.release();
        end.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void rejectsWith429AndReleasesEverythingHeldWhenALaterDecisionSaysNo() {
        CompletableFuture<RateLimitDecision> later = new CompletableFuture<>();
        limiter.next = later;
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(keyed(HttpMethod.POST, "/api/users", "Content-Length", "4"), body, end);
        later.complete(RateLimitDecision.reject(100, 3_000, 30_000));
        channel.runPendingTasks();

        assertTooManyRequests("3");
        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
    }

    @Test
    void answers503AndReleasesBodyWhenALaterDecisionFails() {
        CompletableFuture<RateLimitDecision> later = new CompletableFuture<>();
        limiter.next = later;
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(keyed(HttpMethod.POST, "/api/users", "Content-Length", "4"), body, end);
        later.completeExceptionally(new IllegalStateException("store down"));
        channel.runPendingTasks();

        assertAnswered(HttpResponseStatus.SERVICE_UNAVAILABLE, "{\"error\":\"Rate limiter unavailable\"}");
        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
    }

    @Test
    void answers503WhenTheLimiterFailsAtOnce() {
        limiter.next = CompletableFuture.failedFuture(new IllegalStateException("store down"));
        LastHttpContent end = last("cd");

        channel.writeInbound(keyed(HttpMethod.POST, "/api/users", "Content-Length", "2"), end);
        channel.runPendingTasks();

        assertAnswered(HttpResponseStatus.SERVICE_UNAVAILABLE, "{\"error\":\"Rate limiter unavailable\"}");
        assertThat(end.refCnt()).isZero();
    }

    @Test
    void releasesEverythingHeldWhenTheConnectionClosesBeforeTheDecision() {
        CompletableFuture<RateLimitDecision> later = new CompletableFuture<>();
        limiter.next = later;
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(keyed(HttpMethod.POST, "/api/users", "Content-Length", "4"), body, end);
        assertThat(channel.finish()).isFalse();
        later.complete(ALLOWED);
        channel.runPendingTasks();

        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat((Object) channel.readOutbound()).isNull();
    }

    @Test
    void neitherAsksTheLimiterNorAddsHeadersForAnOpenRoute() {
        HttpRequest request = request(HttpMethod.GET, "/open/1");

        channel.writeInbound(request, LastHttpContent.EMPTY_LAST_CONTENT);
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        channel.writeOutbound(head);

        assertThat(limiter.calls).isEmpty();
        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat((Object) channel.readOutbound()).isSameAs(head);
        assertThat(head.headers().contains(RateLimitHandler.X_RATELIMIT_LIMIT)).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void passesTheNextRequestOnAfterA429() {
        limiter.next = CompletableFuture.completedFuture(RateLimitDecision.reject(100, 1_000, 1_000));
        channel.writeInbound(keyed(HttpMethod.POST, "/api/users", "Content-Length", "2"), last("ab"));
        readResponse(channel).release();

        limiter.next = CompletableFuture.completedFuture(ALLOWED);
        HttpRequest next = keyed(HttpMethod.POST, "/api/users", "Content-Length", "2");
        LastHttpContent nextBody = last("cd");
        channel.writeInbound(next, nextBody);

        assertThat((Object) channel.readInbound()).isSameAs(next);
        assertThat((Object) channel.readInbound()).isSameAs(nextBody);
        nextBody.release();
        assertThat(channel.finish()).isFalse();
    }

    private void assertTooManyRequests(String retryAfter) {
        FullHttpResponse response = readResponse(channel);
        try {
            assertThat(response.status()).isEqualTo(HttpResponseStatus.TOO_MANY_REQUESTS);
            assertThat(body(response)).isEqualTo("{\"error\":\"Rate limit exceeded\"}");
            assertThat(response.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
            assertThat(response.headers().get(HttpHeaderNames.RETRY_AFTER)).isEqualTo(retryAfter);
            assertThat(response.headers().get(RateLimitHandler.X_RATELIMIT_LIMIT)).isEqualTo("100");
            assertThat(response.headers().get(RateLimitHandler.X_RATELIMIT_REMAINING)).isEqualTo("0");
        } finally {
            response.release();
        }
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    private void assertAnswered(HttpResponseStatus status, String json) {
        FullHttpResponse response = readResponse(channel);
        assertThat(response.status()).isEqualTo(status);
        assertThat(body(response)).isEqualTo(json);
        response.release();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    private static HttpRequest keyed(HttpMethod method, String uri, String... headers) {
        HttpRequest request = request(method, uri, headers);
        request.headers().set("X-API-Key", KEY);
        return request;
    }

    private void drainInbound() {
        while (channel.readInbound() != null) {
            // only bodiless messages were sent
        }
    }

    /** Answers each call with the future set in {@link #next}, completed or not. */
    private static final class FakeLimiter implements RateLimiter {
        final List<String> calls = new ArrayList<>();
        CompletableFuture<RateLimitDecision> next;

        @Override
        public CompletionStage<RateLimitDecision> acquire(String key, long limit) {
            calls.add(key + "/" + limit);
            return next;
        }
    }
}
