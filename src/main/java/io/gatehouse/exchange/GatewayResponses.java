package io.gatehouse.exchange;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/**
 * Turns the gateway's own responses into bytes: JSON, {@code Content-Type: application/json}, a Content-Length.
 * Nothing here adds the request ID, CORS or rate-limit headers: every response, the gateway's own and the
 * backends', gets those from the one finisher on its way out.
 */
public final class GatewayResponses {

    private GatewayResponses() {
    }

    /** The response for {@code answer}; {@code headRequest} leaves the body out and keeps its length. */
    public static FullHttpResponse of(ByteBufAllocator alloc, Answer answer, boolean headRequest) {
        FullHttpResponse response = answer.body() != null
                ? stored(answer.status(), answer.body())
                : answer.json() == null
                ? empty(answer.status())
                : json(alloc, answer.status(), answer.json());
        if (headRequest) {
            response.content().clear();
        }
        if (answer.headers() != null) {
            // set, not add: an answer's own Content-Type (a 429's problem+json) replaces the JSON default.
            response.headers().setAll(answer.headers());
        }
        if (answer.body() != null) {
            response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
            int code = answer.status().code();
            if (code == 204 || code == 304) {
                response.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
                response.content().clear();
            } else {
                response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, answer.body().length);
            }
        }
        if (answer.close()) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    /** {@code {"error": message}} with the given status. */
    public static FullHttpResponse error(ByteBufAllocator alloc, HttpResponseStatus status, String message) {
        return json(alloc, status, Answer.errorJson(message));
    }

    public static FullHttpResponse json(ByteBufAllocator alloc, HttpResponseStatus status, String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        ByteBuf body = alloc.buffer(bytes.length).writeBytes(bytes);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return response;
    }

    /** A kept body, wrapped as it is (a heap array: nothing to leak); its Content-Length is set after the headers. */
    private static FullHttpResponse stored(HttpResponseStatus status, byte[] body) {
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
    }

    /** A bodiless response, e.g. 204 to a preflight. */
    public static FullHttpResponse empty(HttpResponseStatus status) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.EMPTY_BUFFER);
        if (status.code() != 204 && status.code() != 304) {
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        }
        return response;
    }
}
