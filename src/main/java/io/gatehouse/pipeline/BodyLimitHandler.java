package io.gatehouse.pipeline;

import io.gatehouse.server.ClientDeadlineHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * The route's request body limit ({@code routes[].max_body}). A declared Content-Length over it is answered 413
 * before anything is forwarded; a chunked body that grows past it while streaming makes the proxy drop its backend
 * request, and the client gets 413 (or, if the backend's response has begun, a closed connection).
 */
public final class BodyLimitHandler extends ChannelInboundHandlerAdapter {

    private static final String MESSAGE = "Request body too large";

    private final RequestDiscarder discarder = new RequestDiscarder();
    private long limit;
    private long received;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (discarder.discard(msg)) {
            return;
        }
        if (msg instanceof HttpRequest request) {
            Exchange exchange = Exchange.of(ctx.channel());
            limit = exchange.route().config().maxBody();
            received = 0;
            long declared = exchange.declaredLength();
            if (limit > 0 && declared != Long.MAX_VALUE && declared > limit) {
                discarder.drop(request);
                exchange.failure("declared body over the route's limit");
                GatewayResponses.sendError(ctx, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, MESSAGE);
                return;
            }
        } else if (msg instanceof HttpContent content && limit > 0) {
            received += content.content().readableBytes();
            if (received > limit) {
                overflow(ctx, content);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    private void overflow(ChannelHandlerContext ctx, HttpContent content) {
        if (!(content instanceof LastHttpContent)) {
            discarder.start(content);
        }
        content.release();
        limit = 0;
        Exchange exchange = Exchange.of(ctx.channel());
        exchange.failure("body grew past the route's limit");
        // The proxy has already sent part of the request: it must drop that backend request, not finish it.
        ctx.fireUserEventTriggered(ClientDeadlineHandler.REQUEST_ABANDONED);
        if (exchange.status() != 0) {
            ctx.close();
            return;
        }
        FullHttpResponse response = GatewayResponses.error(ctx.alloc(), HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                MESSAGE);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response);
    }
}
