package io.gatehouse.pipeline;

import io.gatehouse.cache.CacheFill;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.GatewayResponses;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Where the response cache sees what goes back to the client, before the finisher adds what is made per request
 * (request ID, CORS, rate-limit headers), so that none of that is ever stored. For a request with a {@link
 * CacheFill}, it copies a storable response as it streams past (nothing is held back or retained: the bytes are
 * copied to the heap and the buffer goes on), marks the response with {@code Cache-Status}, and replaces a 304 to
 * the gateway's revalidation, or a failure the stale entry may cover, with the stored response. Requests without a
 * fill pass untouched.
 */
@Sharable
public final class CacheRecorder extends ChannelDuplexHandler {

    public static final CacheRecorder INSTANCE = new CacheRecorder();

    private CacheRecorder() {
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        Exchange exchange = Exchange.of(ctx.channel());
        CacheFill fill = exchange == null ? null : exchange.cacheFill();
        if (fill == null) {
            ctx.write(msg, promise);
            return;
        }
        if (fill.swallowing()) {
            // The rest of a response already answered from the store.
            boolean last = msg instanceof LastHttpContent;
            ReferenceCountUtil.release(msg);
            promise.trySuccess();
            if (last) {
                fill.swallowed();
            }
            return;
        }
        if (msg instanceof HttpResponse response) {
            int code = response.status().code();
            if (code < 200) {
                ctx.write(msg, promise); // 100 Continue: not the response
                return;
            }
            boolean whole = msg instanceof LastHttpContent;
            if (fill.onHead(code, response.headers(), whole) == CacheFill.OnHead.SUBSTITUTE) {
                ReferenceCountUtil.release(msg);
                boolean head = HttpMethod.HEAD.equals(exchange.method());
                // The validators of a revalidation are the gateway's, not the client's: it gets the whole response.
                HttpHeaders conditionals = fill.revalidating() ? EmptyHttpHeaders.INSTANCE : exchange.requestHeaders();
                ctx.write(GatewayResponses.of(ctx.alloc(), CacheFilter.hit(fill.substitute(), conditionals,
                        fill.substituteTime(), fill.cacheStatus()), head), promise);
                return;
            }
            if (fill.cacheStatus() != null) {
                response.headers().set(CacheFilter.CACHE_STATUS, fill.cacheStatus());
            }
        }
        if (msg instanceof HttpContent content && fill.headSeen()) {
            fill.onContent(content.content());
            if (msg instanceof LastHttpContent) {
                fill.onEnd();
            }
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        Exchange exchange = Exchange.of(ctx.channel());
        if (exchange != null && exchange.cacheFill() != null) {
            exchange.cacheFill().abandon();
        }
        super.channelInactive(ctx);
    }
}
