package io.gatehouse.pipeline;

import static io.gatehouse.testing.HttpFixtures.body;
import static io.gatehouse.testing.HttpFixtures.config;
import static io.gatehouse.testing.HttpFixtures.content;
import static io.gatehouse.testing.HttpFixtures.last;
import static io.gatehouse.testing.HttpFixtures.readResponse;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.testing.HttpFixtures.ExchangeStarter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.Test;

class RoutingHandlerTest {

    private final EmbeddedChannel channel = new EmbeddedChannel(new ExchangeStarter(config()), new RoutingHandler());

    @Test
    void picksTheRouteForTheNormalisedPathAndPassesTheRequestOnUnchanged() {
        HttpRequest request = request(HttpMethod.POST, "/api/users/./42/?x=1&y=%2F", "Content-Length", "2");
        LastHttpContent body = last("ab");

        channel.writeInbound(request, body);

        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(body);
        assertThat(request.uri()).isEqualTo("/api/users/./42/?x=1&y=%2F");
        Exchange exchange = Exchange.of(channel);
        assertThat(exchange.route().prefix()).isEqualTo("/api/users");
        assertThat(exchange.path()).isEqualTo("/api/users/42/");
        assertThat(exchange.rawQuery()).isEqualTo("x=1&y=%2F");
        assertThat(body.refCnt()).isEqualTo(1);
        body.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void judgesADotDotPathByTheRouteItLandsOn() {
        channel.writeInbound(request(HttpMethod.GET, "/api/users/../../open/1"), LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(Exchange.of(channel).route().prefix()).isEqualTo("/open");
        assertThat((Object) channel.readInbound()).isInstanceOf(HttpRequest.class);
        assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answers404WhenNoRouteMatchesAndReleasesBody() {
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request(HttpMethod.POST, "/api/usersX", "Content-Length", "4"), body, end);

        assertAnswered(HttpResponseStatus.NOT_FOUND, "{\"error\":\"Route not found\"}");
        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
        assertThat(Exchange.of(channel).route()).isNull();
    }

    @Test
    void answers400ForATargetThatCannotBeNormalisedAndReleasesBody() {
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request(HttpMethod.POST, "/api/users/a%2Fb", "Content-Length", "4"), body, end);

        assertAnswered(HttpResponseStatus.BAD_REQUEST, "{\"error\":\"encoded slash in path\"}");
        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
        assertThat(Exchange.of(channel).path()).isNull();
    }

    @Test
    void answers400ForAnAbsoluteFormTarget() {
        channel.writeInbound(request(HttpMethod.GET, "http://evil.example/api/users"),
                LastHttpContent.EMPTY_LAST_CONTENT);

        assertAnswered(HttpResponseStatus.BAD_REQUEST, "{\"error\":\"request target must be a path\"}");
    }

    @Test
    void refusesATargetThatCannotBeNormalisedWithACloseAndRecordsWhy() {
        channel.writeInbound(request(HttpMethod.GET, "/api/users/a%2Fb"), LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = readResponse(channel);
        try {
            assertThat(response.status()).isEqualTo(HttpResponseStatus.BAD_REQUEST);
            assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        } finally {
            response.release();
        }
        assertThat(Exchange.of(channel).failure()).isEqualTo("rejected: encoded slash in path");
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void routesTheNextRequestAfterA404() {
        channel.writeInbound(request(HttpMethod.GET, "/nowhere"), LastHttpContent.EMPTY_LAST_CONTENT);
        readResponse(channel).release();

        HttpRequest next = request(HttpMethod.GET, "/api/users");
        channel.writeInbound(next, LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat((Object) channel.readInbound()).isSameAs(next);
        assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(channel.finish()).isFalse();
    }

    private void assertAnswered(HttpResponseStatus status, String json) {
        FullHttpResponse response = readResponse(channel);
        assertThat(response.status()).isEqualTo(status);
        assertThat(body(response)).isEqualTo(json);
        assertThat(response.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
        response.release();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }
}
