package io.gatehouse.exchange;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

class GatewayResponsesTest {

    @Test
    void writesAnErrorAsJsonWithItsLengthInBytes() {
        FullHttpResponse response = GatewayResponses.error(ByteBufAllocator.DEFAULT,
                HttpResponseStatus.BAD_REQUEST, "bad \"value\" é");

        String body = response.content().toString(StandardCharsets.UTF_8);
        assertThat(response.status()).isEqualTo(HttpResponseStatus.BAD_REQUEST);
        assertThat(response.protocolVersion()).isEqualTo(HttpVersion.HTTP_1_1);
        assertThat(body).isEqualTo("{\"error\":\"bad \\\"value\\\" é\"}");
        assertThat(response.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
        assertThat(response.headers().getInt(HttpHeaderNames.CONTENT_LENGTH))
                .isEqualTo(body.getBytes(StandardCharsets.UTF_8).length)
                .isGreaterThan(body.length());
        assertThat(response.release()).isTrue();
    }

    @Test
    void sendsNoContentLengthWith204Or304ButZeroWithOtherEmptyResponses() {
        FullHttpResponse noContent = GatewayResponses.empty(HttpResponseStatus.NO_CONTENT);
        FullHttpResponse notModified = GatewayResponses.empty(HttpResponseStatus.NOT_MODIFIED);
        FullHttpResponse ok = GatewayResponses.empty(HttpResponseStatus.OK);

        assertThat(noContent.headers().contains(HttpHeaderNames.CONTENT_LENGTH)).isFalse();
        assertThat(notModified.headers().contains(HttpHeaderNames.CONTENT_LENGTH)).isFalse();
        assertThat(ok.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isZero();
        assertThat(ok.content().readableBytes()).isZero();
        noContent.release();
        notModified.release();
        ok.release();
    }

    @Test
    void turnsAnAnswerIntoItsResponseWithItsHeaders() {
        Answer answer = Answer.error(HttpResponseStatus.TOO_MANY_REQUESTS, "Rate limit exceeded")
                .withHeader(HttpHeaderNames.RETRY_AFTER, 3);

        FullHttpResponse response = GatewayResponses.of(ByteBufAllocator.DEFAULT, answer, false);

        assertThat(response.status()).isEqualTo(HttpResponseStatus.TOO_MANY_REQUESTS);
        assertThat(response.content().toString(StandardCharsets.UTF_8))
                .isEqualTo("{\"error\":\"Rate limit exceeded\"}");
        assertThat(response.headers().get(HttpHeaderNames.RETRY_AFTER)).isEqualTo("3");
        assertThat(response.headers().contains(HttpHeaderNames.CONNECTION)).isFalse();
        assertThat(response.release()).isTrue();
    }

    @Test
    void closesTheConnectionAfterARejection() {
        FullHttpResponse response = GatewayResponses.of(ByteBufAllocator.DEFAULT,
                Answer.rejection(HttpResponseStatus.BAD_REQUEST, "Malformed request"), false);

        assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        assertThat(response.content().toString(StandardCharsets.UTF_8))
                .isEqualTo("{\"error\":\"Malformed request\"}");
        assertThat(response.release()).isTrue();
    }

    @Test
    void leavesTheBodyOutOfAResponseToHeadButKeepsItsLength() {
        String json = "{\"status\":\"ok\"}";

        FullHttpResponse response = GatewayResponses.of(ByteBufAllocator.DEFAULT,
                Answer.json(HttpResponseStatus.OK, json), true);

        assertThat(response.content().readableBytes()).isZero();
        assertThat(response.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(json.length());
        assertThat(response.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("application/json");
        assertThat(response.release()).isTrue();
    }

    @Test
    void turnsAnAnswerWithoutABodyIntoAnEmptyResponse() {
        FullHttpResponse response = GatewayResponses.of(ByteBufAllocator.DEFAULT,
                Answer.empty(HttpResponseStatus.NO_CONTENT).withHeader(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, 600L),
                false);

        assertThat(response.status()).isEqualTo(HttpResponseStatus.NO_CONTENT);
        assertThat(response.content().readableBytes()).isZero();
        assertThat(response.headers().contains(HttpHeaderNames.CONTENT_LENGTH)).isFalse();
        assertThat(response.headers().contains(HttpHeaderNames.CONTENT_TYPE)).isFalse();
        assertThat(response.headers().get(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE)).isEqualTo("600");
        response.release();
    }

    @Test
    void quotesControlCharactersBackslashesAndQuotes() {
        assertThat(Json.quote("a\"b\\c\nd\re\tf\u0001g\u007f")).isEqualTo(
                "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u007f\"");
        assertThat(Json.quote("")).isEqualTo("\"\"");
        assertThat(Json.quote("é/ü")).isEqualTo("\"é/ü\"");
    }
}
