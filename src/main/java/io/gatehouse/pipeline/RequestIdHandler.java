package io.gatehouse.pipeline;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.AsciiString;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Gives every request a fresh UUID in {@code X-Request-Id}: set on the request that goes to the backend (a copy sent
 * by the client is overwritten) and on every response, the gateway's own errors included. First after the
 * connection handler, so that even a rejected request's response carries it.
 */
@Sharable
public final class RequestIdHandler extends ChannelDuplexHandler {

    public static final AsciiString X_REQUEST_ID = AsciiString.cached("X-Request-Id");

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            Exchange exchange = Exchange.of(ctx.channel());
            String id = newId();
            exchange.requestId(id);
            request.headers().set(X_REQUEST_ID, id);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response) {
            Exchange exchange = Exchange.of(ctx.channel());
            if (exchange != null && exchange.requestId() != null) {
                response.headers().set(X_REQUEST_ID, exchange.requestId());
            }
        }
        ctx.write(msg, promise);
    }

    /**
     * A version 4 UUID from the event loop's own random source: request IDs must be unique, not secret, and
     * {@code UUID.randomUUID()} would put a shared SecureRandom on every request.
     */
    static String newId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long msb = (random.nextLong() & ~0xF000L) | 0x4000L;
        long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new java.util.UUID(msb, lsb).toString();
    }
}
