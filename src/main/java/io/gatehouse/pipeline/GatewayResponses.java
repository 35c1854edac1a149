package io.gatehouse.pipeline;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/**
 * Every response the gateway makes itself is built here: JSON, {@code Content-Type: application/json}, a
 * Content-Length. It is written through the pipeline, so the request ID, CORS, rate-limit headers and the access
 * log are added on its way out by the same handlers that decorate proxied responses.
 */
public final class GatewayResponses {

    private GatewayResponses() {
    }

    /** {@code {"error": message}} with the given status. */
    public static FullHttpResponse error(ByteBufAllocator alloc, HttpResponseStatus status, String message) {
        return json(alloc, status, "{\"error\":" + Json.quote(message) + "}");
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

    /** A bodiless response, e.g. 204 to a preflight. */
    public static FullHttpResponse empty(ByteBufAllocator alloc, HttpResponseStatus status) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, alloc.buffer(0));
        if (status.code() != 204 && status.code() != 304) {
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        }
        return response;
    }

    /**
     * Refuses a request that must not be answered on a connection that stays open (bad framing, an unparseable
     * target or key): the error with {@code Connection: close}, after which the connection handler closes, and the
     * reason on the exchange for the access log.
     */
    public static ChannelFuture sendRejection(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
        FullHttpResponse response = error(ctx.alloc(), status, message);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        Exchange exchange = Exchange.of(ctx.channel());
        if (exchange != null) {
            exchange.failure("rejected: " + message);
        }
        return ctx.writeAndFlush(response);
    }

    /** Writes an error from the handler at {@code ctx}, travelling out through every handler before it. */
    public static ChannelFuture sendError(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
        return ctx.writeAndFlush(error(ctx.alloc(), status, message));
    }
}
