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

class HealthHandlerTest {

    private static final String HEALTHY = "{\"status\":\"ok\",\"routes\":[\"/api/users\",\"/open\"]}";

    private final EmbeddedChannel channel = new EmbeddedChannel(new ExchangeStarter(config()), new HealthHandler());

    @Test
    void answersGetHealthWith200AndTheRoutesWithoutAKey() {
        channel.writeInbound(request(HttpMethod.GET, "/health"), LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = readResponse(channel);
        assertThat(response.status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(body(response)).isEqualTo(HEALTHY);
        assertThat(response.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
        assertThat(response.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(HEALTHY.length());
        response.release();
        assertThat(Exchange.of(channel).path()).isEqualTo("/health");
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answersHealthWithAQueryString() {
        channel.writeInbound(request(HttpMethod.GET, "/health?probe=1"), LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = readResponse(channel);
        assertThat(response.status()).isEqualTo(HttpResponseStatus.OK);
        response.release();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answersHeadHealthWithTheLengthButNoBody() {
        channel.writeInbound(request(HttpMethod.HEAD, "/health"), LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = readResponse(channel);
        assertThat(response.status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(response.content().readableBytes()).isZero();
        assertThat(response.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(HEALTHY.length());
        response.release();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void releasesTheBodyOfAHealthRequest() {
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request(HttpMethod.GET, "/health", "Content-Length", "4"), body, end);
        readResponse(channel).release();

        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void passesOtherPathsAndMethodsOnUnchanged() {
        for (HttpRequest request : new HttpRequest[] {
                request(HttpMethod.GET, "/healthz"),
                request(HttpMethod.GET, "/health/x"),
                request(HttpMethod.POST, "/health"),
                request(HttpMethod.GET, "/api/users")}) {
            channel.writeInbound(request, LastHttpContent.EMPTY_LAST_CONTENT);

            assertThat((Object) channel.readInbound()).isSameAs(request);
            assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }
}
