package io.gatehouse.pipeline;

import io.gatehouse.routing.Route;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Answers {@code GET /health} (and HEAD) itself, without a key: {@code {"status":"ok","routes":[...]}}. Placed before
 * routing and authentication.
 */
public final class HealthHandler extends ChannelInboundHandlerAdapter {

    private static final String PATH = "/health";

    private final RequestDiscarder discarder = new RequestDiscarder();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (discarder.discard(msg)) {
            return;
        }
        if (msg instanceof HttpRequest request && isHealthCheck(request)) {
            discarder.drop(request);
            Exchange exchange = Exchange.of(ctx.channel());
            exchange.target(PATH, null);
            FullHttpResponse response = GatewayResponses.json(ctx.alloc(), HttpResponseStatus.OK, body(exchange));
            if (HttpMethod.HEAD.equals(request.method())) {
                response.content().clear();
            }
            ctx.writeAndFlush(response);
            return;
        }
        ctx.fireChannelRead(msg);
    }

    private static boolean isHealthCheck(HttpRequest request) {
        HttpMethod method = request.method();
        if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
            return false;
        }
        String uri = request.uri();
        return uri.startsWith(PATH) && (uri.length() == PATH.length() || uri.charAt(PATH.length()) == '?');
    }

    private static String body(Exchange exchange) {
        StringBuilder json = new StringBuilder("{\"status\":\"ok\",\"routes\":[");
        boolean first = true;
        for (Route route : exchange.config().routes().routes()) {
            if (!first) {
                json.append(',');
            }
            json.append(Json.quote(route.prefix()));
            first = false;
        }
        return json.append("]}").toString();
    }
}
