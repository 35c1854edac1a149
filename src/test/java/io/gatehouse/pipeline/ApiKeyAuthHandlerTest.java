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

import io.gatehouse.testing.HttpFixtures.ExchangeStarter;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

class ApiKeyAuthHandlerTest {

    /** Routing first, because the handler asks the route whether it needs a key. */
    private final EmbeddedChannel channel =
            new EmbeddedChannel(new ExchangeStarter(config()), new RoutingHandler(), new ApiKeyAuthHandler());

    @Test
    void passesAKnownKeyOnUnchangedExceptForTheKeyAndTheClientName() {
        HttpRequest request = request(HttpMethod.POST, "/api/users/42", "X-API-Key", KEY,
                "X-Client-Name", "forged", "Content-Length", "4");
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request, body, end);

        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(body);
        assertThat((Object) channel.readInbound()).isSameAs(end);
        assertThat(request.headers().contains("X-API-Key")).isFalse();
        assertThat(request.headers().getAll(ApiKeyAuthHandler.X_CLIENT_NAME)).containsExactly(CLIENT);
        assertThat(Exchange.of(channel).client().name()).isEqualTo(CLIENT);
        assertThat(body.refCnt()).isEqualTo(1);
        assertThat(end.refCnt()).isEqualTo(1);
        body.release();
        end.release();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void acceptsTheKeyHeaderWhateverItsNameCase() {
        HttpRequest request = request(HttpMethod.GET, "/api/users", "x-api-key", KEY);

        channel.writeInbound(request, LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(request.headers().contains("X-API-Key")).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void rejectsMissingKeyAndReleasesBody() {
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request(HttpMethod.POST, "/api/users", "Content-Length", "4"), body, end);

        assertRejected(HttpResponseStatus.UNAUTHORIZED, "{\"error\":\"Missing X-API-Key header\"}");
        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
    }

    @Test
    void rejectsAnEmptyKeyAsMissing() {
        channel.writeInbound(request(HttpMethod.GET, "/api/users", "X-API-Key", ""),
                LastHttpContent.EMPTY_LAST_CONTENT);

        assertRejected(HttpResponseStatus.UNAUTHORIZED, "{\"error\":\"Missing X-API-Key header\"}");
    }

    @Test
    void rejectsUnknownKeyWith403AndReleasesBody() {
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request(HttpMethod.POST, "/api/users", "X-API-Key", "key_live_wrong"), body, end);

        assertRejected(HttpResponseStatus.FORBIDDEN, "{\"error\":\"Invalid API key\"}");
        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
    }

    @Test
    void rejectsAFullRequestWithABadKeyAndReleasesIt() {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/api/users",
                Unpooled.copiedBuffer("body", StandardCharsets.UTF_8));
        request.headers().set(HttpHeaderNames.HOST, "gateway.test").set("X-API-Key", "nope");

        channel.writeInbound(request);

        assertRejected(HttpResponseStatus.FORBIDDEN, "{\"error\":\"Invalid API key\"}");
        assertThat(request.refCnt()).isZero();
    }

    @Test
    void rejectsTwoKeyHeadersWith401() {
        channel.writeInbound(request(HttpMethod.GET, "/api/users", "X-API-Key", KEY, "X-API-Key", KEY),
                LastHttpContent.EMPTY_LAST_CONTENT);

        assertRejected(HttpResponseStatus.UNAUTHORIZED, "{\"error\":\"More than one X-API-Key value\"}");
    }

    @Test
    void rejectsAKeyListInOneHeaderWith401() {
        channel.writeInbound(request(HttpMethod.GET, "/api/users", "X-API-Key", KEY + ", other"),
                LastHttpContent.EMPTY_LAST_CONTENT);

        assertRejected(HttpResponseStatus.UNAUTHORIZED, "{\"error\":\"More than one X-API-Key value\"}");
    }

    @Test
    void rejectsAKeyWithUnprintableCharactersWith400() {
        channel.writeInbound(request(HttpMethod.GET, "/api/users", "X-API-Key", "key_live_é"),
                LastHttpContent.EMPTY_LAST_CONTENT);

        assertRejected(HttpResponseStatus.BAD_REQUEST, "{\"error\":\"Malformed X-API-Key header\"}");
    }

    @Test
    void endsTheConnectionAfterAMalformedKeyAndRecordsWhy() {
        channel.writeInbound(request(HttpMethod.GET, "/api/users", "X-API-Key", "key\tlive"),
                LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = readResponse(channel);
        assertThat(response.status()).isEqualTo(HttpResponseStatus.BAD_REQUEST);
        assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        response.release();
        assertThat(Exchange.of(channel).failure()).isEqualTo("rejected: Malformed X-API-Key header");
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void letsAnOpenRouteThroughWithoutTheKeyOrAForgedClientName() {
        HttpRequest request = request(HttpMethod.GET, "/open/x", "X-API-Key", "anything",
                "X-Client-Name", "forged");

        channel.writeInbound(request, LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(request.headers().contains("X-API-Key")).isFalse();
        assertThat(request.headers().contains(ApiKeyAuthHandler.X_CLIENT_NAME)).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void handlesTheNextRequestNormallyAfterDiscardingARejectedBody() {
        HttpContent rejectedBody = content("ab");
        channel.writeInbound(request(HttpMethod.POST, "/api/users", "Content-Length", "2"), rejectedBody,
                LastHttpContent.EMPTY_LAST_CONTENT);
        readResponse(channel).release();

        HttpRequest next = request(HttpMethod.POST, "/api/users", "X-API-Key", KEY, "Content-Length", "2");
        LastHttpContent nextBody = last("cd");
        channel.writeInbound(next, nextBody);

        assertThat(rejectedBody.refCnt()).isZero();
        assertThat((Object) channel.readInbound()).isSameAs(next);
        assertThat((Object) channel.readInbound()).isSameAs(nextBody);
        nextBody.release();
        assertThat(channel.finish()).isFalse();
    }

    /**
     * In the gateway the connection handler swallows the rest of an early-answered body itself, so this handler
     * never sees that body's last content: the next request head must end the discarding, or its body is eaten.
     */
    @Test
    void passesTheNextRequestsBodyOnWhenTheRejectedBodyNeverArrivedHere() {
        channel.writeInbound(request(HttpMethod.POST, "/api/users", "Content-Length", "2"));
        readResponse(channel).release();

        HttpRequest next = request(HttpMethod.POST, "/api/users", "X-API-Key", KEY, "Content-Length", "2");
        LastHttpContent nextBody = last("cd");
        channel.writeInbound(next, nextBody);

        assertThat((Object) channel.readInbound()).isSameAs(next);
        assertThat((Object) channel.readInbound()).isSameAs(nextBody);
        assertThat(nextBody.refCnt()).isEqualTo(1);
        nextBody.release();
        assertThat(channel.finish()).isFalse();
    }

    private void assertRejected(HttpResponseStatus status, String json) {
        FullHttpResponse response = readResponse(channel);
        try {
            assertThat(response.status()).isEqualTo(status);
            assertThat(body(response)).isEqualTo(json);
            assertThat(response.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
            assertThat(response.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(json.length());
        } finally {
            response.release();
        }
        assertThat((Object) channel.readInbound()).isNull();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }
}
