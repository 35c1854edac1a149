package io.gatehouse.pipeline;

import static io.gatehouse.testing.HttpFixtures.CLIENT;
import static io.gatehouse.testing.HttpFixtures.KEY;
import static io.gatehouse.testing.HttpFixtures.ORIGIN;
import static io.gatehouse.testing.HttpFixtures.YAML;
import static io.gatehouse.testing.HttpFixtures.config;
import static io.gatehouse.testing.HttpFixtures.readResponse;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.GatewayResponses;
import io.gatehouse.exchange.RequestIds;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.config.RateLimitPolicyConfig;
import io.gatehouse.ratelimit.RateLimitDecision;
import io.gatehouse.ratelimit.RateLimitResult;
import io.gatehouse.ratelimit.RateLimiter;
import io.gatehouse.server.ExchangeHandler;
import io.gatehouse.testing.HttpFixtures;
import io.gatehouse.testing.HttpFixtures.ExchangeStarter;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;

/**
 * The finisher in front of the exchange handler, as in the gateway: requests go in through the real filter chain
 * (so the exchange has its path, client and rate-limit decision), responses are written as a backend's or the
 * gateway's own would be.
 */
class ResponseFinisherTest {

    private static final RateLimitDecision ALLOWED = RateLimitDecision.allow(100, 42, 60_000);
    private static final RuntimeConfig ONE_ORIGIN = config(YAML, new FixedLimiter(ALLOWED));
    private static final RuntimeConfig ANY_ORIGIN = config("""
            routes:
              - prefix: /api
                upstream: http://localhost:4001
                auth: none
            """);

    private final List<String> lines = new ArrayList<>();
    private EmbeddedChannel channel = open(ONE_ORIGIN, true);

    // Request ID

    @Test
    void putsTheRequestsIdOnAStreamedResponseHeadInPlaceOfTheBackendsOne() {
        HttpRequest request = startRequest(null);
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(RequestIds.HEADER, "from-the-backend");

        channel.writeOutbound(head, LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat((Object) channel.readOutbound()).isSameAs(head);
        assertThat((Object) channel.readOutbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(head.headers().getAll(RequestIds.HEADER))
                .containsExactly(request.headers().get(RequestIds.HEADER))
                .containsExactly(Exchange.of(channel).requestId());
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void putsTheRequestsIdOnTheGatewaysOwnFullResponses() {
        HttpRequest request = startRequest(null);

        channel.writeOutbound(GatewayResponses.error(ByteBufAllocator.DEFAULT, HttpResponseStatus.BAD_GATEWAY,
                "Service unavailable"));

        FullHttpResponse response = readResponse(channel);
        assertThat(response.headers().get(RequestIds.HEADER)).isEqualTo(request.headers().get(RequestIds.HEADER));
        response.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void putsTheRequestsIdOnAnInterimResponseToo() {
        startRequest(null);

        channel.writeOutbound(GatewayResponses.empty(HttpResponseStatus.CONTINUE));

        FullHttpResponse response = readResponse(channel);
        assertThat(response.headers().get(RequestIds.HEADER)).isEqualTo(Exchange.of(channel).requestId());
        response.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void givesAResponseWithNoExchangeAFreshRequestIdAndTheCorsHeadersOfTheRunningConfig() {
        channel = open(ANY_ORIGIN, true);

        channel.writeOutbound(GatewayResponses.error(ByteBufAllocator.DEFAULT, HttpResponseStatus.REQUEST_TIMEOUT,
                "Request timeout"));
        channel.writeOutbound(GatewayResponses.error(ByteBufAllocator.DEFAULT, HttpResponseStatus.REQUEST_TIMEOUT,
                "Request timeout"));

        FullHttpResponse first = readResponse(channel);
        FullHttpResponse second = readResponse(channel);
        String id = first.headers().get(RequestIds.HEADER);
        assertThat(UUID.fromString(id).version()).isEqualTo(4);
        assertThat(second.headers().get(RequestIds.HEADER)).isNotNull().isNotEqualTo(id);
        assertThat(first.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isEqualTo("*");
        assertThat(first.headers().get(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS))
                .isEqualTo("X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, RateLimit, RateLimit-Policy,"
                        + " Retry-After");
        first.release();
        second.release();
        assertThat(lines).as("no exchange, no access line").isEmpty();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void givesAResponseWithNoExchangeVaryOriginButNoOriginWhenOriginsAreListed() {
        channel.writeOutbound(GatewayResponses.error(ByteBufAllocator.DEFAULT, HttpResponseStatus.REQUEST_TIMEOUT,
                "Request timeout"));

        FullHttpResponse response = readResponse(channel);
        assertThat(response.headers().get(RequestIds.HEADER)).isNotNull();
        assertThat(response.headers().contains(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isFalse();
        assertThat(response.headers().getAll(HttpHeaderNames.VARY)).containsExactly("origin");
        response.release();
        assertThat(channel.finish()).isFalse();
    }

    // CORS

    @Test
    void addsTheCorsHeadersToAStreamedResponseHead() {
        startRequest(ORIGIN);
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);

        channel.writeOutbound(head, LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat((Object) channel.readOutbound()).isSameAs(head);
        assertThat((Object) channel.readOutbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(head.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isEqualTo(ORIGIN);
        assertThat(head.headers().get(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS))
                .isEqualTo("X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, RateLimit, RateLimit-Policy,"
                        + " Retry-After");
        assertThat(head.headers().contains(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE)).isFalse();
        assertThat(head.headers().getAll(HttpHeaderNames.VARY)).containsExactly("origin");
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void addsTheCorsHeadersToTheGatewaysOwnFullResponses() {
        startRequest(ORIGIN);

        channel.writeOutbound(GatewayResponses.error(ByteBufAllocator.DEFAULT, HttpResponseStatus.NOT_FOUND,
                "Route not found"));

        FullHttpResponse written = readResponse(channel);
        assertThat(written.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isEqualTo(ORIGIN);
        written.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void addsOnlyVaryOriginForAnOriginNotAllowed() {
        startRequest("https://evil.example");
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);

        channel.writeOutbound(head);

        assertThat((Object) channel.readOutbound()).isSameAs(head);
        assertThat(head.headers().contains(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isFalse();
        assertThat(head.headers().contains(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS)).isFalse();
        assertThat(head.headers().getAll(HttpHeaderNames.VARY)).containsExactly("origin");
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void leavesInterimResponsesWithoutCorsHeaders() {
        startRequest(ORIGIN);

        channel.writeOutbound(GatewayResponses.empty(HttpResponseStatus.CONTINUE));

        FullHttpResponse written = readResponse(channel);
        assertThat(written.headers().contains(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isFalse();
        assertThat(written.headers().contains(HttpHeaderNames.VARY)).isFalse();
        written.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void appendsOriginToAnExistingVary() {
        assertThat(varyAfterDecorating("Accept-Encoding")).containsExactly("Accept-Encoding, Origin");
    }

    @Test
    void doesNotRepeatOriginInVary() {
        assertThat(varyAfterDecorating("Accept-Encoding, origin")).containsExactly("Accept-Encoding, origin");
    }

    @Test
    void leavesAVaryStarAlone() {
        assertThat(varyAfterDecorating("*")).containsExactly("*");
    }

    @Test
    void keepsEveryVaryHeaderTheBackendSent() {
        String combined = String.join(" | ", varyAfterDecorating("Accept-Encoding", "Accept-Language"));

        assertThat(combined).contains("Accept-Encoding").contains("Accept-Language").containsIgnoringCase("Origin");
    }

    @Test
    void sendsTheWildcardOriginWithoutVaryWhenAnyOriginIsAllowed() {
        channel = open(ANY_ORIGIN, true);
        channel.writeInbound(request(HttpMethod.GET, "/api/x"), LastHttpContent.EMPTY_LAST_CONTENT);
        drainInbound();
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);

        channel.writeOutbound(head);

        assertThat((Object) channel.readOutbound()).isSameAs(head);
        assertThat(head.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isEqualTo("*");
        assertThat(head.headers().contains(HttpHeaderNames.VARY)).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    // Rate-limit headers

    @Test
    void addsTheRateLimitHeadersToAStreamedResponseHead() {
        startRequest(null);
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);

        channel.writeOutbound(head, LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat((Object) channel.readOutbound()).isSameAs(head);
        assertThat((Object) channel.readOutbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(head.headers().get(ResponseFinisher.X_RATELIMIT_LIMIT)).isEqualTo("100");
        assertThat(head.headers().get(ResponseFinisher.X_RATELIMIT_REMAINING)).isEqualTo("42");
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void addsTheRateLimitHeadersToAFullResponse() {
        startRequest(null);

        channel.writeOutbound(GatewayResponses.error(ByteBufAllocator.DEFAULT, HttpResponseStatus.BAD_GATEWAY,
                "Service unavailable"));

        FullHttpResponse response = readResponse(channel);
        assertThat(response.headers().get(ResponseFinisher.X_RATELIMIT_LIMIT)).isEqualTo("100");
        assertThat(response.headers().get(ResponseFinisher.X_RATELIMIT_REMAINING)).isEqualTo("42");
        response.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void addsNoRateLimitHeadersWhenNoDecisionWasMade() {
        channel.writeInbound(request(HttpMethod.GET, "/open/1"), LastHttpContent.EMPTY_LAST_CONTENT);
        drainInbound();
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);

        channel.writeOutbound(head);

        assertThat((Object) channel.readOutbound()).isSameAs(head);
        assertThat(head.headers().contains(ResponseFinisher.X_RATELIMIT_LIMIT)).isFalse();
        assertThat(head.headers().contains(ResponseFinisher.X_RATELIMIT_REMAINING)).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    // Access log

    @Test
    void logsOneLineWhenTheLastContentOfAStreamedResponseIsWritten() {
        channel.writeInbound(request(HttpMethod.GET, "/api/users/42?secret=1", "X-API-Key", KEY),
                LastHttpContent.EMPTY_LAST_CONTENT);
        drainInbound();
        Exchange.of(channel).backend("localhost:4001");
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CREATED);

        channel.writeOutbound(head);
        assertThat(lines).isEmpty();
        channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(lines).singleElement().satisfies(line -> assertThat(line)
                .startsWith("GET /api/users/42 -> 201 (")
                .contains("[" + CLIENT + "]")
                .contains("request_id=" + Exchange.of(channel).requestId())
                .contains("backend=localhost:4001")
                .doesNotContain("secret")
                .doesNotContain(KEY)
                .doesNotContain("error="));
        drainOutbound();
        channel.close();
        assertThat(lines).hasSize(1);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void logsTheGatewaysOwnRejectionOnceWithoutTheKey() {
        channel.writeInbound(request(HttpMethod.GET, "/api/users", "X-API-Key", "key_live_guess"),
                LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(lines).singleElement().satisfies(line -> assertThat(line)
                .startsWith("GET /api/users -> 403 (")
                .contains("[anonymous]")
                .contains("backend=-")
                .doesNotContain("key_live_guess"));
        drainOutbound();
        assertThat(channel.finish()).isFalse();
        assertThat(lines).hasSize(1);
    }

    @Test
    void logsARejectedTargetAsSentWithTheReason() {
        channel.writeInbound(request(HttpMethod.CONNECT, "gateway.test:443"), LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(lines).singleElement().satisfies(line -> assertThat(line)
                .startsWith("CONNECT gateway.test:443 -> 405 (")
                .endsWith("error=\"rejected: CONNECT is not supported\""));
        drainOutbound();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void buildsNoLineWhenTheAccessLogIsOff() {
        channel = open(ONE_ORIGIN, false);

        channel.writeInbound(request(HttpMethod.GET, "/api/users", "X-API-Key", "key_live_guess"),
                LastHttpContent.EMPTY_LAST_CONTENT);

        Object response = channel.readOutbound();
        assertThat(response).as("the 403 is still answered").isInstanceOf(FullHttpResponse.class);
        ReferenceCountUtil.release(response);
        channel.close();
        assertThat(lines).isEmpty();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void doesNotLogOnAnInterimResponseButLogsTheUnfinishedExchangeWhenTheConnectionCloses() {
        channel.writeInbound(request(HttpMethod.POST, "/api/users", "X-API-Key", KEY, "Expect", "100-continue",
                "Content-Length", "2"));
        drainInbound();

        channel.writeOutbound(GatewayResponses.empty(HttpResponseStatus.CONTINUE));

        assertThat(lines).isEmpty();
        drainOutbound();
        channel.close();
        assertThat(lines).singleElement().satisfies(line -> assertThat(line)
                .startsWith("POST /api/users -> - (")
                .contains("error=\"connection closed before the response was complete\""));
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void logsAnUnroutableTargetPrintablyAndWithoutItsQuery() {
        assertThat(AccessLine.printable("/a b\"c?token=secret")).isEqualTo("/a?b?c");
        assertThat(AccessLine.printable("/" + "x".repeat(300))).hasSize(256 + 3).endsWith("...");
        assertThat(AccessLine.printable("/" + "x".repeat(255) + "?q")).hasSize(256).doesNotEndWith("...");
    }

    // Helpers

    private EmbeddedChannel open(RuntimeConfig config, boolean logEnabled) {
        return new EmbeddedChannel(new ExchangeStarter(config),
                new ResponseFinisher(() -> config, () -> logEnabled, line -> lines.add(line.toString())),
                new ExchangeHandler(HttpFixtures.PASS_ON));
    }

    /** Sends a keyed GET through so that an exchange (with this Origin, when not null) is in progress. */
    private HttpRequest startRequest(String origin) {
        HttpRequest request = origin == null
                ? request(HttpMethod.GET, "/api/users", "X-API-Key", KEY)
                : request(HttpMethod.GET, "/api/users", "X-API-Key", KEY, "Origin", origin);
        channel.writeInbound(request, LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        return request;
    }

    private List<String> varyAfterDecorating(String... vary) {
        startRequest(ORIGIN);
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        for (String value : vary) {
            head.headers().add(HttpHeaderNames.VARY, value);
        }
        channel.writeOutbound(head);
        assertThat((Object) channel.readOutbound()).isSameAs(head);
        assertThat(channel.finish()).isFalse();
        return head.headers().getAll(HttpHeaderNames.VARY);
    }

    private void drainInbound() {
        Object msg;
        while ((msg = channel.readInbound()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }

    private void drainOutbound() {
        Object msg;
        while ((msg = channel.readOutbound()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }

    /** Decides at once, always the same way. */
    private static final class FixedLimiter implements RateLimiter {
        private final RateLimitDecision decision;

        FixedLimiter(RateLimitDecision decision) {
            this.decision = decision;
        }

        @Override
        public RateLimitResult decideNow(String key, List<RateLimitPolicyConfig> policies) {
            return RateLimitResult.of(policies.get(0), decision);
        }

        @Override
        public CompletionStage<RateLimitResult> acquire(String key, List<RateLimitPolicyConfig> policies) {
            throw new AssertionError("a local decision needs no future");
        }
    }
}
