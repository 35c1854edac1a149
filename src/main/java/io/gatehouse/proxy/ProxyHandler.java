package io.gatehouse.proxy;

import io.gatehouse.pipeline.Exchange;
import io.gatehouse.server.ClientDeadlineHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * The last client-side handler: every request that gets here has passed every policy and is forwarded to its
 * route's backend by a {@link BackendCall}, one call at a time per connection.
 */
public final class ProxyHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyHandler.class);

    private final BackendPools pools;
    private BackendCall call;
    private BackendTimer timer;

    public ProxyHandler(BackendPools pools) {
        this.pools = pools;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            if (call != null && !call.done()) {
                // Reads are paced so this cannot happen; if it does, the connection is confused: end it.
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            if (timer == null) {
                timer = new BackendTimer(ctx.executor());
            }
            call = new BackendCall(ctx, Exchange.of(ctx.channel()), request, pools, timer);
            call.start();
            if (msg instanceof HttpContent content) {
                call.onClientContent(content);
            }
        } else if (msg instanceof HttpContent content && call != null) {
            call.onClientContent(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == ClientDeadlineHandler.REQUEST_ABANDONED) {
            if (call != null) {
                call.abandon();
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (call != null) {
            call.onClientClosed();
        }
        if (timer != null) {
            timer.stop();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            // A client that resets or vanishes is routine traffic, not a gateway fault.
            LOG.debug("client connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            LOG.warn("client connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        }
        ctx.close();
    }
}
