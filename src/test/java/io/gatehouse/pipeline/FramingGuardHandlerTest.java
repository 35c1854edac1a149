package io.gatehouse.pipeline;

import static io.gatehouse.testing.HttpFixtures.body;
import static io.gatehouse.testing.HttpFixtures.config;
import static io.gatehouse.testing.HttpFixtures.content;
import static io.gatehouse.testing.HttpFixtures.last;
import static io.gatehouse.testing.HttpFixtures.readResponse;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.server.ClientDeadlineHandler;
import io.gatehouse.testing.HttpFixtures.ExchangeStarter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

class FramingGuardHandlerTest {

    private EmbeddedChannel channel = new EmbeddedChannel(new ExchangeStarter(config()), new FramingGuardHandler());

    @Test
    void passesAWellFramedRequestOnUnchanged() {
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
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void passesAChunkedRequestOn() {
        HttpRequest request = request(HttpMethod.POST, "/api/users", "Transfer-Encoding", "Chunked");

        channel.writeInbound(request, LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void passesAnHttp10RequestWithoutHostOn() {
        HttpRequest request = request(HttpVersion.HTTP_1_0, HttpMethod.GET, "/api/users");
        request.headers().remove(HttpHeaderNames.HOST);

        channel.writeInbound(request, LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void rejectsContentLengthWithTransferEncodingAndReleasesBody() {
        assertRejectedWithBody(request(HttpMethod.POST, "/api/users", "Content-Length", "4",
                "Transfer-Encoding", "chunked"), HttpResponseStatus.BAD_REQUEST,
                "Both Content-Length and Transfer-Encoding");
    }

    @Test
    void rejectsATransferEncodingOtherThanChunked() {
        assertRejectedWithBody(request(HttpMethod.POST, "/api/users", "Transfer-Encoding", "gzip, chunked"),
                HttpResponseStatus.NOT_IMPLEMENTED, "Unsupported Transfer-Encoding");
    }

    @Test
    void rejectsAnUnknownTransferEncoding() {
        assertRejectedWithBody(request(HttpMethod.POST, "/api/users", "Transfer-Encoding", "identity"),
                HttpResponseStatus.NOT_IMPLEMENTED, "Unsupported Transfer-Encoding");
    }

    @Test
    void rejectsTwoTransferEncodingHeaders() {
        assertRejectedWithBody(request(HttpMethod.POST, "/api/users", "Transfer-Encoding", "chunked",
                "Transfer-Encoding", "chunked"), HttpResponseStatus.NOT_IMPLEMENTED, "Unsupported Transfer-Encoding");
    }

    @Test
    void rejectsTransferEncodingInAnHttp10Request() {
        assertRejectedWithBody(request(HttpVersion.HTTP_1_0, HttpMethod.POST, "/api/users",
                "Transfer-Encoding", "chunked"), HttpResponseStatus.BAD_REQUEST,
                "Transfer-Encoding in an HTTP/1.0 request");
    }

    @Test
    void rejectsTwoContentLengths() {
        assertRejectedWithBody(request(HttpMethod.POST, "/api/users", "Content-Length", "4",
                "Content-Length", "4"), HttpResponseStatus.BAD_REQUEST, "Invalid Content-Length");
    }

    @Test
    void rejectsAContentLengthThatIsNotDigits() {
        for (String length : new String[] {"4, 4", "+4", "-1", "0x4", "", "1234567890123456789"}) {
            channel = new EmbeddedChannel(new ExchangeStarter(config()), new FramingGuardHandler());
            assertRejectedWithBody(request(HttpMethod.POST, "/api/users", "Content-Length", length),
                    HttpResponseStatus.BAD_REQUEST, "Invalid Content-Length");
        }
    }

    @Test
    void rejectsAMissingHost() {
        HttpRequest request = request(HttpMethod.GET, "/api/users");
        request.headers().remove(HttpHeaderNames.HOST);

        assertRejectedWithBody(request, HttpResponseStatus.BAD_REQUEST, "Missing or repeated Host header");
    }

    @Test
    void rejectsTwoHosts() {
        assertRejectedWithBody(request(HttpMethod.GET, "/api/users", "Host", "other.test"),
                HttpResponseStatus.BAD_REQUEST, "Missing or repeated Host header");
    }

    @Test
    void rejectsAnInvalidHost() {
        for (String host : new String[] {"user@gateway.test", "a.test/path", "a.test, b.test", ""}) {
            channel = new EmbeddedChannel(new ExchangeStarter(config()), new FramingGuardHandler());
            HttpRequest request = request(HttpMethod.GET, "/api/users");
            request.headers().set(HttpHeaderNames.HOST, host);
            assertRejectedWithBody(request, HttpResponseStatus.BAD_REQUEST, "Invalid Host header");
        }
    }

    @Test
    void rejectsConnect() {
        assertRejectedWithBody(request(HttpMethod.CONNECT, "gateway.test:443"),
                HttpResponseStatus.METHOD_NOT_ALLOWED, "CONNECT is not supported");
    }

    @Test
    void rejectsAnHttpVersionOtherThan1x() {
        assertRejectedWithBody(request(new HttpVersion("HTTP", 1, 2, true), HttpMethod.GET, "/api/users"),
                HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP version not supported");
    }

    @Test
    void answers414WhenTheRequestLineWasTooLong() {
        assertRejectedAsDecoderFailure(new TooLongHttpLineException("too long"),
                HttpResponseStatus.REQUEST_URI_TOO_LONG, "Request line too long");
    }

    @Test
    void answers431WhenTheHeadersWereTooLarge() {
        assertRejectedAsDecoderFailure(new TooLongHttpHeaderException("too large"),
                HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Request headers too large");
    }

    @Test
    void answers400ForAnyOtherTooLongFrame() {
        assertRejectedAsDecoderFailure(new TooLongFrameException("too long"),
                HttpResponseStatus.BAD_REQUEST, "Request too large");
    }

    @Test
    void answers400ForAMalformedRequest() {
        assertRejectedAsDecoderFailure(new IllegalArgumentException("bad"),
                HttpResponseStatus.BAD_REQUEST, "Malformed request");
    }

    @Test
    void answers400ForTheInvalidFullRequestTheDecoderMakesAndReleasesIt() {
        DefaultFullHttpRequest invalid = new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET,
                "/bad-request", Unpooled.copiedBuffer("x", StandardCharsets.UTF_8));
        invalid.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("invalid version")));

        channel.writeInbound(invalid);

        assertAnswered(HttpResponseStatus.BAD_REQUEST, "Malformed request");
        assertThat(invalid.refCnt()).isZero();
    }

    @Test
    void answersWhatTheRealDecoderRejectsWithCloseAndPassesNothingOn() {
        channel = new EmbeddedChannel(new HttpServerCodec(), new ExchangeStarter(config()),
                new FramingGuardHandler());

        channel.writeInbound(ascii("GET /api/users HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n"));

        assertThat((Object) channel.readInbound()).isNull();
        ByteBuf out = channel.readOutbound();
        String text = out.toString(StandardCharsets.US_ASCII);
        out.release();
        assertThat(text).startsWith("HTTP/1.1 400 Bad Request\r\n").containsIgnoringCase("connection: close");
        assertThat(channel.finish()).isFalse();
    }

    /**
     * A bad chunk makes the decoder end the body with a failed last content: that must not look like an end. The
     * backend request is abandoned and the client, not answered yet, gets 400 with {@code Connection: close}.
     */
    @Test
    void answers400AndAbandonsTheBackendRequestInsteadOfPassingOnTheEndOfAMalformedChunkedBody() {
        List<Object> events = new ArrayList<>();
        channel = new EmbeddedChannel(new HttpServerCodec(), new ExchangeStarter(config()),
                new FramingGuardHandler(), new EventRecorder(events));

        channel.writeInbound(ascii("POST /api/users HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "2\r\nab\r\nzz\r\n"));

        assertThat((Object) channel.readInbound()).isInstanceOf(HttpRequest.class);
        HttpContent first = channel.readInbound();
        assertThat(first.content().toString(StandardCharsets.US_ASCII)).isEqualTo("ab");
        assertThat(first).isNotInstanceOf(LastHttpContent.class);
        first.release();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(events).contains(ClientDeadlineHandler.REQUEST_ABANDONED);
        ByteBuf out = channel.readOutbound();
        String text = out.toString(StandardCharsets.US_ASCII);
        out.release();
        assertThat(text).startsWith("HTTP/1.1 400 Bad Request\r\n").containsIgnoringCase("connection: close")
                .endsWith("{\"error\":\"Malformed request body\"}");
        assertThat(Exchange.of(channel).failure()).isEqualTo("malformed request body");
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void closesWithoutAnAnswerWhenTheResponseHadBegunBeforeTheBodyTurnedOutMalformed() {
        List<Object> events = new ArrayList<>();
        channel = new EmbeddedChannel(new HttpServerCodec(), new ExchangeStarter(config()),
                new FramingGuardHandler(), new EventRecorder(events));

        channel.writeInbound(ascii("POST /api/users HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"));
        assertThat((Object) channel.readInbound()).isInstanceOf(HttpRequest.class);
        Exchange.of(channel).status(200);
        channel.writeInbound(ascii("2\r\nab\r\nzz\r\n"));

        HttpContent first = channel.readInbound();
        first.release();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(events).contains(ClientDeadlineHandler.REQUEST_ABANDONED);
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    /** Records the user events that reach the end of the pipeline (the proxy's place). */
    private static final class EventRecorder extends ChannelInboundHandlerAdapter {
        private final List<Object> events;

        EventRecorder(List<Object> events) {
            this.events = events;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            events.add(evt);
        }
    }

    @Test
    void recordsTheRejectionOnTheExchange() {
        channel.writeInbound(request(HttpMethod.CONNECT, "gateway.test:443"), LastHttpContent.EMPTY_LAST_CONTENT);
        readResponse(channel).release();

        assertThat(Exchange.of(channel).failure()).isEqualTo("rejected: CONNECT is not supported");
        assertThat(channel.finish()).isFalse();
    }

    private void assertRejectedAsDecoderFailure(Throwable cause, HttpResponseStatus status, String message) {
        HttpRequest request = request(HttpMethod.GET, "/api/users");
        request.setDecoderResult(DecoderResult.failure(cause));
        assertRejectedWithBody(request, status, message);
    }

    private void assertRejectedWithBody(HttpRequest request, HttpResponseStatus status, String message) {
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request, body, end);

        assertAnswered(status, message);
        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
    }

    private void assertAnswered(HttpResponseStatus status, String message) {
        FullHttpResponse response = readResponse(channel);
        try {
            assertThat(response.status()).isEqualTo(status);
            assertThat(body(response)).isEqualTo("{\"error\":\"" + message + "\"}");
            assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
            assertThat(response.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
        } finally {
            response.release();
        }
        assertThat((Object) channel.readInbound()).isNull();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }
}
