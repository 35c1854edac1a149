package io.gatehouse.pipeline;

import static io.gatehouse.testing.HttpFixtures.config;
import static io.gatehouse.testing.HttpFixtures.last;
import static io.gatehouse.testing.HttpFixtures.readResponse;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.testing.HttpFixtures.ExchangeStarter;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.Test;

import java.util.UUID;

class RequestIdHandlerTest {

    private final EmbeddedChannel channel =
            new EmbeddedChannel(new ExchangeStarter(config()), new RequestIdHandler());

    @Test
    void givesTheRequestAFreshUuidOverwritingTheClientsAndPassesItOn() {
        HttpRequest request = request(HttpMethod.POST, "/api/users", "X-Request-Id", "client-chosen",
                "Content-Length", "2");
        LastHttpContent body = last("ab");

        channel.writeInbound(request, body);

        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(body);
        assertThat(body.refCnt()).isEqualTo(1);
        body.release();
        String id = request.headers().get(RequestIdHandler.X_REQUEST_ID);
        assertThat(request.headers().getAll(RequestIdHandler.X_REQUEST_ID)).hasSize(1);
        assertThat(id).isNotEqualTo("client-chosen").isEqualTo(Exchange.of(channel).requestId());
        UUID uuid = UUID.fromString(id);
        assertThat(uuid.version()).isEqualTo(4);
        assertThat(uuid.variant()).isEqualTo(2);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void givesEachRequestADifferentId() {
        HttpRequest first = request(HttpMethod.GET, "/a");
        HttpRequest second = request(HttpMethod.GET, "/b");

        channel.writeInbound(first, LastHttpContent.EMPTY_LAST_CONTENT, second, LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(first.headers().get(RequestIdHandler.X_REQUEST_ID))
                .isNotEqualTo(second.headers().get(RequestIdHandler.X_REQUEST_ID));
        while (channel.readInbound() != null) {
            // drained
        }
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void putsTheRequestsIdOnAStreamedResponseHead() {
        HttpRequest request = request(HttpMethod.GET, "/api/users");
        channel.writeInbound(request, LastHttpContent.EMPTY_LAST_CONTENT);
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(RequestIdHandler.X_REQUEST_ID, "from-the-backend");

        channel.writeOutbound(head, LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat((Object) channel.readOutbound()).isSameAs(head);
        assertThat((Object) channel.readOutbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(head.headers().getAll(RequestIdHandler.X_REQUEST_ID))
                .containsExactly(request.headers().get(RequestIdHandler.X_REQUEST_ID));
        channel.readInbound();
        channel.readInbound();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void putsTheRequestsIdOnTheGatewaysOwnFullResponses() {
        HttpRequest request = request(HttpMethod.GET, "/api/users");
        channel.writeInbound(request, LastHttpContent.EMPTY_LAST_CONTENT);

        channel.writeOutbound(GatewayResponses.error(ByteBufAllocator.DEFAULT, HttpResponseStatus.TOO_MANY_REQUESTS,
                "Rate limit exceeded"));

        FullHttpResponse response = readResponse(channel);
        assertThat(response.headers().get(RequestIdHandler.X_REQUEST_ID))
                .isEqualTo(request.headers().get(RequestIdHandler.X_REQUEST_ID));
        response.release();
        channel.readInbound();
        channel.readInbound();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void writesAResponseWithoutAnIdWhenNoRequestWasSeen() {
        FullHttpResponse error = GatewayResponses.error(ByteBufAllocator.DEFAULT, HttpResponseStatus.BAD_REQUEST,
                "Malformed request");

        channel.writeOutbound(error);

        FullHttpResponse response = readResponse(channel);
        assertThat(response.headers().contains(RequestIdHandler.X_REQUEST_ID)).isFalse();
        response.release();
        assertThat(channel.finish()).isFalse();
    }
}
