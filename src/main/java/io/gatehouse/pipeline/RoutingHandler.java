package io.gatehouse.pipeline;

import io.gatehouse.routing.InvalidTargetException;
import io.gatehouse.routing.RequestTarget;
import io.gatehouse.routing.Route;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Normalises the request target and picks the route by longest prefix, before any policy runs, so that
 * {@code /api/users/../orders/1} is judged by the orders route's policy. A target that cannot be normalised safely
 * is answered 400; no match is answered 404.
 */
public final class RoutingHandler extends ChannelInboundHandlerAdapter {

    private final RequestDiscarder discarder = new RequestDiscarder();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (discarder.discard(msg)) {
            return;
        }
        if (msg instanceof HttpRequest request) {
            Exchange exchange = Exchange.of(ctx.channel());
            RequestTarget target;
            try {
                target = RequestTarget.parse(request.uri());
            } catch (InvalidTargetException e) {
                // A target that could be read two ways is an attack more often than a typo: refuse it and close,
                // as for any other ambiguous request (the log says why).
                discarder.drop(request);
                GatewayResponses.sendRejection(ctx, HttpResponseStatus.BAD_REQUEST, e.getMessage());
                return;
            }
            exchange.target(target.path(), target.rawQuery());
            Route route = exchange.config().routes().match(target.path());
            if (route == null) {
                reject(ctx, request, HttpResponseStatus.NOT_FOUND, "Route not found");
                return;
            }
            exchange.route(route);
        }
        ctx.fireChannelRead(msg);
    }

    private void reject(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status, String message) {
        discarder.drop(request);
        GatewayResponses.sendError(ctx, status, message);
    }
}
