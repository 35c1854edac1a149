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
            AsciiString id = newId();
            exchange.requestId(id);
            request.headers().set(X_REQUEST_ID, id);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response) {
            Exchange exchange = Exchange.of(ctx.channel());
            if (exchange != null && exchange.requestIdValue() != null) {
                response.headers().set(X_REQUEST_ID, exchange.requestIdValue());
            }
        }
        ctx.write(msg, promise);
    }

    /**
     * A version 4 UUID from the event loop's own random source: request IDs must be unique, not secret, and
     * {@code UUID.randomUUID()} would put a shared SecureRandom on every request. Written straight into an
     * {@link AsciiString}, which goes into both headers as bytes.
     */
    static AsciiString newId() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long msb = (random.nextLong() & ~0xF000L) | 0x4000L;
        long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        byte[] id = new byte[36];
        hex(msb >>> 32, id, 0, 8);
        id[8] = '-';
        hex(msb >>> 16, id, 9, 4);
        id[13] = '-';
        hex(msb, id, 14, 4);
        id[18] = '-';
        hex(lsb >>> 48, id, 19, 4);
        id[23] = '-';
        hex(lsb, id, 24, 12);
        return new AsciiString(id, false);
    }

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Writes the low {@code digits} hex digits of {@code value} into {@code out} at {@code at}. */
    private static void hex(long value, byte[] out, int at, int digits) {
        for (int i = digits - 1; i >= 0; i--) {
            out[at + i] = HEX[(int) (value & 0xF)];
            value >>>= 4;
        }
    }
}
