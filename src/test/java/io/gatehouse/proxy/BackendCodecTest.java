package io.gatehouse.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The backend connection's codec, fed raw response bytes through an {@code EmbeddedChannel}. */
class BackendCodecTest {

    private final BackendCodec codec = new BackendCodec(new HttpDecoderConfig());
    private final EmbeddedChannel channel = new EmbeddedChannel(codec);
    private final List<Object> decoded = new ArrayList<>();
    private final List<ByteBuf> written = new ArrayList<>();

    @AfterEach
    void releaseEverything() {
        decoded.forEach(ReferenceCountUtil::release);
    }

    /** Writes raw bytes in as the backend would and collects everything decoded from them. */
    private void receive(String raw) {
        ByteBuf bytes = Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1);
        written.add(bytes);
        channel.writeInbound(bytes);
        Object msg;
        while ((msg = channel.readInbound()) != null) {
            decoded.add(msg);
        }
    }

    private void assertAllReleasedAndNothingLeft() {
        decoded.forEach(ReferenceCountUtil::release);
        decoded.clear();
        assertFalse(channel.finish());
        assertThat(written).allSatisfy(bytes -> assertThat(bytes.refCnt()).isZero());
    }

    private static String text(Object content) {
        return ((HttpContent) content).content().toString(StandardCharsets.UTF_8);
    }

    @Test
    void decodesAResponseWithAContentLength() {
        codec.expectResponseTo(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");

        assertThat(decoded).hasSize(2);
        assertThat(((HttpResponse) decoded.get(0)).decoderResult().isSuccess()).isTrue();
        assertThat(decoded.get(1)).isInstanceOf(LastHttpContent.class);
        assertThat(text(decoded.get(1))).isEqualTo("hello");
        assertThat(codec.hasUndecodedBytes()).isFalse();
        assertAllReleasedAndNothingLeft();
    }

    @Test
    void failsAResponseWithContentLengthAndChunkedTransferEncoding() {
        codec.expectResponseTo(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");

        assertThat(decoded).hasSize(1);
        HttpResponse response = (HttpResponse) decoded.get(0);
        assertThat(response.decoderResult().isFailure()).isTrue();
        assertThat(response.decoderResult().cause())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("both Content-Length and Transfer-Encoding");
        assertAllReleasedAndNothingLeft();
    }

    @Test
    void failsAResponseWithChunkedTransferEncodingAndContentLengthInTheOtherOrder() {
        codec.expectResponseTo(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n");

        assertThat(decoded).hasSize(1);
        assertThat(((HttpResponse) decoded.get(0)).decoderResult().cause())
                .hasMessageContaining("both Content-Length and Transfer-Encoding");
        assertAllReleasedAndNothingLeft();
    }

    @Test
    void aResponseToHeadHasNoBodyWhateverItsContentLength() {
        codec.expectResponseTo(HttpMethod.HEAD);
        receive("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");

        assertThat(decoded).hasSize(2);
        assertThat(((HttpResponse) decoded.get(0)).headers().get("Content-Length")).isEqualTo("5");
        assertThat(decoded.get(1)).isInstanceOf(LastHttpContent.class);
        assertThat(((LastHttpContent) decoded.get(1)).content().readableBytes()).isZero();
        assertThat(codec.hasUndecodedBytes()).isFalse();

        // The next request on the connection is a GET: its response is framed by its Content-Length again.
        decoded.forEach(ReferenceCountUtil::release);
        decoded.clear();
        codec.expectResponseTo(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        assertThat(decoded).hasSize(2);
        assertThat(text(decoded.get(1))).isEqualTo("hello");
        assertThat(codec.hasUndecodedBytes()).isFalse();
        assertAllReleasedAndNothingLeft();
    }

    @Test
    void aBodySentAfterAResponseToHeadIsLeftUndecoded() {
        codec.expectResponseTo(HttpMethod.HEAD);
        receive("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");

        assertThat(decoded).hasSize(2);
        assertThat(((LastHttpContent) decoded.get(1)).content().readableBytes()).isZero();
        assertThat(codec.hasUndecodedBytes()).as("the body a HEAD response must not have").isTrue();
        assertAllReleasedAndNothingLeft();
    }

    @Test
    void strayBytesAfterA204AreLeftUndecoded() {
        codec.expectResponseTo(HttpMethod.DELETE);
        receive("HTTP/1.1 204 No Content\r\n\r\nstray bytes");

        assertThat(decoded).hasSize(2);
        assertThat(((HttpResponse) decoded.get(0)).status().code()).isEqualTo(204);
        assertThat(decoded.get(1)).isInstanceOf(LastHttpContent.class);
        assertThat(codec.hasUndecodedBytes()).isTrue();
        assertAllReleasedAndNothingLeft();
    }

    @Test
    void strayBytesArrivingAfterACompleteResponseAreLeftUndecoded() {
        codec.expectResponseTo(HttpMethod.GET);
        receive("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        assertThat(codec.hasUndecodedBytes()).isFalse();

        receive("stray");

        assertThat(decoded).hasSize(2);
        assertThat(codec.hasUndecodedBytes()).isTrue();
        assertAllReleasedAndNothingLeft();
    }
}
