package io.gatehouse.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

class GatewayResponsesTest {

    @Test
    void writesAnErrorAsJsonWithItsLength() {
        FullHttpResponse response = GatewayResponses.error(ByteBufAllocator.DEFAULT,
                HttpResponseStatus.BAD_REQUEST, "bad \"value\" é");

        String body = response.content().toString(StandardCharsets.UTF_8);
        assertThat(body).isEqualTo("{\"error\":\"bad \\\"value\\\" é\"}");
        assertThat(response.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
        assertThat(response.headers().getInt(HttpHeaderNames.CONTENT_LENGTH))
                .isEqualTo(body.getBytes(StandardCharsets.UTF_8).length);
        assertThat(response.release()).isTrue();
    }

    @Test
    void sendsNoContentLengthWith204ButZeroWithOtherEmptyResponses() {
        FullHttpResponse noContent = GatewayResponses.empty(ByteBufAllocator.DEFAULT, HttpResponseStatus.NO_CONTENT);
        FullHttpResponse ok = GatewayResponses.empty(ByteBufAllocator.DEFAULT, HttpResponseStatus.OK);

        assertThat(noContent.headers().contains(HttpHeaderNames.CONTENT_LENGTH)).isFalse();
        assertThat(ok.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isZero();
        assertThat(noContent.release()).isTrue();
        assertThat(ok.release()).isTrue();
    }

    @Test
    void quotesControlCharactersBackslashesAndQuotes() {
        assertThat(Json.quote("a\"b\\c\nd\re\tf\u0001g\u007f")).isEqualTo(
                "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u007f\"");
        assertThat(Json.quote("")).isEqualTo("\"\"");
    }
}
