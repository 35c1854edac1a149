package io.gatehouse.proxy;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;

/**
 * Removes the client's hop-by-hop headers as soon as the request head arrives, after the connection handler has
 * read its keep-alive wishes and before any handler adds a header of the gateway's own: otherwise
 * {@code Connection: X-Request-Id} would strip the gateway's request ID.
 */
@Sharable
public final class HopByHopHandler extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            HopByHopHeaders.strip(request.headers());
        }
        ctx.fireChannelRead(msg);
    }
}
