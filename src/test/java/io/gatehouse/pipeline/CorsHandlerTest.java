package io.gatehouse.pipeline;

import static io.gatehouse.testing.HttpFixtures.ORIGIN;
import static io.gatehouse.testing.HttpFixtures.config;
import static io.gatehouse.testing.HttpFixtures.content;
import static io.gatehouse.testing.HttpFixtures.last;
import static io.gatehouse.testing.HttpFixtures.readResponse;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.server.RuntimeConfig;
import io.gatehouse.testing.HttpFixtures.ExchangeStarter;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.Test;

class CorsHandlerTest {

    private static final RuntimeConfig ONE_ORIGIN = config();
    private static final RuntimeConfig ANY_ORIGIN = config("""
            routes:
              - prefix: /api
                upstream: http://localhost:4001
            """);

    private EmbeddedChannel channel = new EmbeddedChannel(new ExchangeStarter(ONE_ORIGIN), new CorsHandler());

    @Test
    void answersAPreflightWith204AndTheCorsHeadersAndPassesNothingOn() {
        HttpRequest preflight = request(HttpMethod.OPTIONS, "/api/users", "Origin", ORIGIN,
                "Access-Control-Request-Method", "POST");

        channel.writeInbound(preflight, LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = readResponse(channel);
        HttpHeaders headers = response.headers();
        assertThat(response.status()).isEqualTo(HttpResponseStatus.NO_CONTENT);
        assertThat(response.content().readableBytes()).isZero();
        assertThat(headers.contains(HttpHeaderNames.CONTENT_LENGTH)).isFalse();
        assertThat(headers.get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isEqualTo(ORIGIN);
        assertThat(headers.get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS))
                .isEqualTo("GET, POST, PUT, DELETE, OPTIONS");
        assertThat(headers.get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS)).isEqualTo("Content-Type, X-API-Key");
        assertThat(headers.get(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE)).isEqualTo("600");
        assertThat(headers.getAll(HttpHeaderNames.VARY)).containsExactly("origin");
        response.release();
        assertThat(preflight).isNotInstanceOf(HttpContent.class);
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void keepsTheEmptyLastContentOfAPreflightFromTheNextHandler() {
        channel.writeInbound(request(HttpMethod.OPTIONS, "/api/users", "Origin", ORIGIN));
        readResponse(channel).release();

        channel.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void releasesTheBodyOfAPreflight() {
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request(HttpMethod.OPTIONS, "/api/users", "Origin", ORIGIN, "Content-Length", "4"),
                body, end);
        readResponse(channel).release();

        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answersAPreflightFromAnOriginNotAllowedWithoutCorsHeaders() {
        channel.writeInbound(request(HttpMethod.OPTIONS, "/api/users", "Origin", "https://evil.example"),
                LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = readResponse(channel);
        assertThat(response.status()).isEqualTo(HttpResponseStatus.NO_CONTENT);
        assertThat(response.headers().contains(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isFalse();
        assertThat(response.headers().contains(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE)).isFalse();
        assertThat(response.headers().get(HttpHeaderNames.VARY)).isEqualToIgnoringCase("Origin");
        response.release();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void passesOtherRequestsOnUnchanged() {
        HttpRequest request = request(HttpMethod.POST, "/api/users", "Origin", ORIGIN, "Content-Length", "2");
        LastHttpContent body = last("ab");

        channel.writeInbound(request, body);

        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(body);
        assertThat(body.refCnt()).isEqualTo(1);
        body.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void handlesTheRequestAfterAPreflightNormally() {
        channel.writeInbound(request(HttpMethod.OPTIONS, "/api/users", "Origin", ORIGIN),
                LastHttpContent.EMPTY_LAST_CONTENT);
        readResponse(channel).release();

        HttpRequest next = request(HttpMethod.GET, "/api/users", "Origin", ORIGIN);
        channel.writeInbound(next, LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat((Object) channel.readInbound()).isSameAs(next);
        assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void addsTheCorsHeadersToAStreamedResponseHead() {
        startRequest(ORIGIN);
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);

        channel.writeOutbound(head, LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat((Object) channel.readOutbound()).isSameAs(head);
        assertThat((Object) channel.readOutbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(head.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isEqualTo(ORIGIN);
        assertThat(head.headers().get(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS))
                .isEqualTo("X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, Retry-After");
        assertThat(head.headers().contains(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE)).isFalse();
        assertThat(head.headers().getAll(HttpHeaderNames.VARY)).containsExactly("origin");
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void addsTheCorsHeadersToTheGatewaysOwnFullResponses() {
        startRequest(ORIGIN);
        FullHttpResponse error = GatewayResponses.error(ByteBufAllocator.DEFAULT, HttpResponseStatus.NOT_FOUND,
                "Route not found");

        channel.writeOutbound(error);

        FullHttpResponse written = readResponse(channel);
        assertThat(written.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isEqualTo(ORIGIN);
        written.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void leavesInterimResponsesAlone() {
        startRequest(ORIGIN);
        FullHttpResponse continueResponse = GatewayResponses.empty(ByteBufAllocator.DEFAULT,
                HttpResponseStatus.CONTINUE);

        channel.writeOutbound(continueResponse);

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
        channel = new EmbeddedChannel(new ExchangeStarter(ANY_ORIGIN), new CorsHandler());
        startRequest(null);
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);

        channel.writeOutbound(head);

        assertThat((Object) channel.readOutbound()).isSameAs(head);
        assertThat(head.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isEqualTo("*");
        assertThat(head.headers().contains(HttpHeaderNames.VARY)).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answersAPreflightWithTheWildcardOriginWhenAnyOriginIsAllowed() {
        channel = new EmbeddedChannel(new ExchangeStarter(ANY_ORIGIN), new CorsHandler());

        channel.writeInbound(request(HttpMethod.OPTIONS, "/api", "Origin", "https://any.example"),
                LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = readResponse(channel);
        assertThat(response.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isEqualTo("*");
        assertThat(response.headers().get(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE)).isEqualTo("600");
        response.release();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    private java.util.List<String> varyAfterDecorating(String... vary) {
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

    /** Sends a GET through so that an exchange with this Origin is in progress. */
    private void startRequest(String origin) {
        HttpRequest request = origin == null
                ? request(HttpMethod.GET, "/api/users")
                : request(HttpMethod.GET, "/api/users", "Origin", origin);
        channel.writeInbound(request, LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
    }
}
