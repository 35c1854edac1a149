package io.gatehouse.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/**
 * The last handler of a backend connection. While a attempt owns the connection it hands every event to that attempt;
 * while the connection sits idle in its pool, any message or error closes it — a backend has nothing to say on a
 * connection with no request. The pool closes a connection that stays idle too long.
 */
final class BackendHandler extends ChannelInboundHandlerAdapter {

    private final BackendPool pool;
    private BackendAttempt attempt;

    BackendHandler(BackendPool pool) {
        this.pool = pool;
    }

    static BackendHandler of(Channel channel) {
        return channel.pipeline().get(BackendHandler.class);
    }

    BackendPool pool() {
        return pool;
    }

    void attach(BackendAttempt attempt) {
        this.attempt = attempt;
    }

    void detach() {
        this.attempt = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (attempt != null) {
            attempt.onBackendMessage(msg);
        } else {
            ReferenceCountUtil.release(msg);
            ctx.close();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        BackendAttempt current = attempt;
        if (current != null) {
            current.onBackendReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        BackendAttempt current = attempt;
        if (current != null) {
            current.onBackendWritabilityChanged();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        pool.remove(ctx.channel());
        BackendAttempt current = attempt;
        attempt = null;
        if (current != null) {
            current.onBackendClosed();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        BackendAttempt current = attempt;
        if (current != null) {
            current.onBackendFailure(cause);
        }
        ctx.close();
    }
}
