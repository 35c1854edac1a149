package io.gatehouse.flow;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.ReferenceCountUtil;

import java.util.ArrayDeque;

/**
 * Placed right after an HTTP codec on a channel with autoRead off: hands on exactly one decoded message per
 * {@code read()}, holding the rest of what one socket read decoded until they are asked for. This is what makes
 * "read the next message after the last write succeeded" exact on both sides of the proxy.
 * <p>
 * Netty's {@code FlowControlHandler} does this too, but since 4.2 it forgets a {@code read()} that was requested
 * during the socket read loop once that loop completes. A write that completes at once and asks for the next
 * message from its listener does exactly that, and the connection then stalls. Here a request for a message is
 * kept until a message satisfies it, and repeated requests before then count as one.
 */
public final class ReadOnDemandHandler extends ChannelDuplexHandler {

    private final ArrayDeque<Object> queue = new ArrayDeque<>(4);
    private boolean demand;

    @Override
    public void read(ChannelHandlerContext ctx) {
        Object next = queue.poll();
        if (next != null) {
            demand = false;
            ctx.fireChannelRead(next);
            // A message from the queue is a read of its own: handlers after this one that pair each read with
            // its completion (the idle timer does) must see one, or they think a read is still in progress.
            ctx.fireChannelReadComplete();
            return;
        }
        demand = true;
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (demand && queue.isEmpty()) {
            demand = false;
            ctx.fireChannelRead(msg);
        } else {
            queue.add(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        // What was decoded before the close (e.g. the end of a body delimited by the close) still counts.
        Object next;
        while ((next = queue.poll()) != null) {
            ctx.fireChannelRead(next);
        }
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        Object next;
        while ((next = queue.poll()) != null) {
            ReferenceCountUtil.release(next);
        }
    }

    /**
     * Hands over, and forgets, the messages decoded but not yet asked for: for a connection that stops being HTTP,
     * whose new last handler takes them instead of this one.
     */
    public java.util.List<Object> takeQueued() {
        java.util.List<Object> taken = new java.util.ArrayList<>(queue);
        queue.clear();
        return taken;
    }

    /** Messages decoded but not yet asked for (for tests). */
    int queued() {
        return queue.size();
    }
}
