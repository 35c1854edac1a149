package io.gatehouse.server;

import static io.gatehouse.testing.HttpFixtures.KEY;
import static io.gatehouse.testing.HttpFixtures.config;
import static io.gatehouse.testing.HttpFixtures.content;
import static io.gatehouse.testing.HttpFixtures.last;
import static io.gatehouse.testing.HttpFixtures.readResponse;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.GatewayResponses;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.testing.HttpFixtures;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
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
import io.netty.handler.timeout.IdleStateEvent;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

class ClientConnectionHandlerTest {

    private static final RuntimeConfig CONFIG = config();

    private final AtomicBoolean draining = new AtomicBoolean();
    private final ReadCounter reads = new ReadCounter();
    private final ClientConnectionHandler handler = new ClientConnectionHandler(() -> CONFIG, draining::get);
    private EmbeddedChannel channel = open(reads, handler);

    @Test
    void readsTheFirstRequestWhenTheConnectionOpens() throws Exception {
        assertThat(reads.count).isEqualTo(1);
        assertThat(handler.idle()).isTrue();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void startsAnExchangeAndPassesTheRequestOnUnchanged() {
        HttpRequest request = request(HttpMethod.POST, "/api/users", "Content-Length", "4");
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request, body, end);

        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(body);
        assertThat((Object) channel.readInbound()).isSameAs(end);
        assertThat(body.refCnt()).isEqualTo(1);
        body.release();
        end.release();
        Exchange exchange = Exchange.of(channel);
        assertThat(exchange.config()).isSameAs(CONFIG);
        assertThat(exchange.method()).isEqualTo(HttpMethod.POST);
        assertThat(exchange.declaredLength()).isEqualTo(4);
        assertThat(handler.idle()).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void keepsAnHttp11ConnectionAndReadsTheNextRequestOnlyWhenTheResponseIsWritten() {
        sendBodiless(request(HttpMethod.GET, "/api/users"));
        assertThat(reads.count).isEqualTo(1);

        HttpResponse head = respond(HttpResponseStatus.OK, "Connection", "keep-alive");
        assertThat(reads.count).isEqualTo(1);
        channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(reads.count).isEqualTo(2);
        assertThat(head.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
        assertThat(channel.isOpen()).isTrue();
        assertThat(handler.idle()).isTrue();
        drainOutbound();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void closesAfterTheResponseWhenTheClientSentConnectionClose() {
        sendBodiless(request(HttpMethod.GET, "/api/users", "Connection", "close"));

        HttpResponse head = respond(HttpResponseStatus.OK);
        assertThat(channel.isOpen()).isTrue();
        channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(head.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(channel.isOpen()).isFalse();
        assertThat(reads.count).isEqualTo(1);
        drainOutbound();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void closesAfterTheResponseToAnHttp10RequestWithoutKeepAlive() {
        sendBodiless(request(HttpVersion.HTTP_1_0, HttpMethod.GET, "/api/users"));

        HttpResponse head = respond(HttpResponseStatus.OK);
        channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(head.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(channel.isOpen()).isFalse();
        drainOutbound();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void keepsAnHttp10ConnectionThatAskedForKeepAliveAndSaysSo() {
        sendBodiless(request(HttpVersion.HTTP_1_0, HttpMethod.GET, "/api/users", "Connection", "keep-alive"));

        HttpResponse head = respond(HttpResponseStatus.OK);
        channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(head.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("keep-alive");
        assertThat(channel.isOpen()).isTrue();
        assertThat(reads.count).isEqualTo(2);
        drainOutbound();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void closesAfterTheResponseWhenTheResponseSaysClose() {
        sendBodiless(request(HttpMethod.GET, "/api/users"));

        respond(HttpResponseStatus.BAD_REQUEST, "Connection", "close");
        channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(channel.isOpen()).isFalse();
        drainOutbound();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void closesAfterTheResponseWhenTheServerIsDraining() {
        sendBodiless(request(HttpMethod.GET, "/api/users"));
        draining.set(true);

        HttpResponse head = respond(HttpResponseStatus.OK);
        channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(head.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(channel.isOpen()).isFalse();
        drainOutbound();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void discardsTheRestOfAnEarlyAnsweredBodyThenReadsTheNextRequest() {
        channel.writeInbound(request(HttpMethod.POST, "/api/users", "Content-Length", "4"));
        assertThat((Object) channel.readInbound()).isInstanceOf(HttpRequest.class);

        channel.writeOutbound(GatewayResponses.error(ByteBufAllocator.DEFAULT, HttpResponseStatus.UNAUTHORIZED,
                "Missing X-API-Key header"));
        FullHttpResponse response = readResponse(channel);
        assertThat(response.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
        response.release();
        int readsAfterResponse = reads.count;
        assertThat(readsAfterResponse).isGreaterThan(1);

        HttpContent body = content("ab");
        LastHttpContent end = last("cd");
        channel.writeInbound(body);
        assertThat(reads.count).isEqualTo(readsAfterResponse + 1);
        channel.writeInbound(end);
        assertThat(reads.count).isEqualTo(readsAfterResponse + 2);

        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.isOpen()).isTrue();
        assertThat(handler.idle()).isTrue();

        HttpRequest next = request(HttpMethod.GET, "/api/users");
        channel.writeInbound(next);
        assertThat((Object) channel.readInbound()).isSameAs(next);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void closesAfterAnEarlyResponseWhenTheClientWaitsFor100Continue() {
        channel.writeInbound(request(HttpMethod.POST, "/api/users", "Content-Length", "4",
                "Expect", "100-continue"));
        channel.readInbound();

        channel.writeOutbound(GatewayResponses.error(ByteBufAllocator.DEFAULT, HttpResponseStatus.FORBIDDEN,
                "Invalid API key"));

        FullHttpResponse response = readResponse(channel);
        assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        response.release();
        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void closesAfterAnEarlyResponseWhenTheDeclaredBodyIsOverTheDiscardLimit() {
        channel.writeInbound(request(HttpMethod.POST, "/api/users",
                "Content-Length", Long.toString(ClientConnectionHandler.DISCARD_LIMIT + 1)));
        channel.readInbound();

        channel.writeOutbound(GatewayResponses.error(ByteBufAllocator.DEFAULT, HttpResponseStatus.FORBIDDEN,
                "Invalid API key"));

        FullHttpResponse response = readResponse(channel);
        assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        response.release();
        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    /** A chunked body's length is unknown, so it counts as over the limit: the connection is not kept. */
    @Test
    void closesAfterAnEarlyResponseToAChunkedRequest() {
        channel.writeInbound(request(HttpMethod.POST, "/api/users", "Transfer-Encoding", "chunked"));
        channel.readInbound();

        channel.writeOutbound(GatewayResponses.error(ByteBufAllocator.DEFAULT, HttpResponseStatus.FORBIDDEN,
                "Invalid API key"));

        FullHttpResponse response = readResponse(channel);
        assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        response.release();
        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void treatsA100ContinueAsInterimAndKeepsPassingTheBodyOn() {
        channel.writeInbound(request(HttpMethod.POST, "/api/users", "Content-Length", "2",
                "Expect", "100-continue"));
        channel.readInbound();

        channel.writeOutbound(GatewayResponses.empty(HttpResponseStatus.CONTINUE));
        readResponse(channel).release();
        assertThat(reads.count).isEqualTo(1);
        assertThat(channel.isOpen()).isTrue();

        LastHttpContent body = last("ab");
        channel.writeInbound(body);
        assertThat((Object) channel.readInbound()).isSameAs(body);
        body.release();

        respond(HttpResponseStatus.CREATED);
        channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(channel.isOpen()).isTrue();
        assertThat(reads.count).isEqualTo(2);
        drainOutbound();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void closesWhenASecondRequestArrivesBeforeTheFirstIsAnswered() {
        sendBodiless(request(HttpMethod.GET, "/api/users"));
        HttpRequest second = new io.netty.handler.codec.http.DefaultFullHttpRequest(HttpVersion.HTTP_1_1,
                HttpMethod.GET, "/api/users", Unpooled.copiedBuffer(new byte[] {1}));

        channel.writeInbound(second);

        assertThat(((io.netty.handler.codec.http.FullHttpRequest) second).refCnt()).isZero();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void closesAnIdleConnectionOnTheIdleTimeout() {
        channel.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);

        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void keepsAConnectionWhoseRequestIsInProgressOnTheIdleTimeout() {
        channel.writeInbound(request(HttpMethod.POST, "/api/users", "Content-Length", "4"));
        channel.readInbound();

        channel.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);

        assertThat(channel.isOpen()).isTrue();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void keepsAConnectionWaitingForItsResponseOnTheIdleTimeoutAndClosesItOnceIdle() {
        sendBodiless(request(HttpMethod.GET, "/api/users"));

        channel.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        assertThat(channel.isOpen()).isTrue();

        respond(HttpResponseStatus.OK);
        channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);
        channel.pipeline().fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
        assertThat(channel.isOpen()).isFalse();
        drainOutbound();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void passesOtherUserEventsOn() {
        Object event = new Object();

        channel.pipeline().fireUserEventTriggered(event);

        assertThat(channel.isOpen()).isTrue();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void closesOnAnExceptionThroughTheLastHandler() {
        channel = open(new ReadCounter(), new ClientConnectionHandler(() -> CONFIG, draining::get),
                new ExchangeHandler(HttpFixtures.PASS_ON));

        channel.pipeline().fireExceptionCaught(new IOException("connection reset by peer"));

        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    /** The connection handler swallows a rejected body, so the policy handlers after it never see its end. */
    @Test
    void passesTheNextRequestsBodyOnAfterAnEarly401WithItsBodyPending() {
        channel = open(new ReadCounter(), new ClientConnectionHandler(() -> CONFIG, draining::get),
                new ExchangeHandler(HttpFixtures.PASS_ON));
        HttpContent rejectedBody = content("ab");
        channel.writeInbound(request(HttpMethod.POST, "/api/users", "Content-Length", "4"));
        readResponse(channel).release();
        channel.writeInbound(rejectedBody, last("cd"));

        HttpRequest next = request(HttpMethod.POST, "/api/users", "X-API-Key", KEY, "Content-Length", "2");
        LastHttpContent nextBody = last("ef");
        channel.writeInbound(next, nextBody);

        assertThat(rejectedBody.refCnt()).isZero();
        assertThat((Object) channel.readInbound()).isSameAs(next);
        assertThat((Object) channel.readInbound()).isSameAs(nextBody);
        assertThat(nextBody.refCnt()).isEqualTo(1);
        nextBody.release();
        assertThat(channel.finish()).isFalse();
    }

    private static EmbeddedChannel open(ChannelHandler... handlers) {
        EmbeddedChannel channel = new EmbeddedChannel(false, false, handlers);
        channel.config().setAutoRead(false);
        try {
            channel.register();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return channel;
    }

    private void sendBodiless(HttpRequest request) {
        channel.writeInbound(request, LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    private HttpResponse respond(HttpResponseStatus status, String... headers) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
        for (int i = 0; i < headers.length; i += 2) {
            head.headers().add(headers[i], headers[i + 1]);
        }
        channel.writeOutbound(head);
        return head;
    }

    private void drainOutbound() {
        Object msg;
        while ((msg = channel.readOutbound()) != null) {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    /** Placed before the handler under test: counts the read() calls it makes. */
    private static final class ReadCounter extends ChannelOutboundHandlerAdapter {
        int count;

        @Override
        public void read(ChannelHandlerContext ctx) throws Exception {
            count++;
            super.read(ctx);
        }
    }
}
