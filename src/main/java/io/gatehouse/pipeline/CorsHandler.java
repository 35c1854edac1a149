package io.gatehouse.pipeline;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.List;

/**
 * CORS: picks the headers for the request's Origin and adds them to every final response on its way out, proxied
 * or the gateway's own. An {@code OPTIONS} request is answered 204 here, before authentication, and never
 * forwarded; the rest of its body is discarded.
 */
public final class CorsHandler extends ChannelDuplexHandler {

    private final RequestDiscarder discarder = new RequestDiscarder();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (discarder.discard(msg)) {
            return;
        }
        if (msg instanceof HttpRequest request) {
            if (HttpMethod.OPTIONS.equals(request.method())) {
                Exchange exchange = Exchange.of(ctx.channel());
                CorsPolicy policy = exchange.config().cors();
                discarder.drop(request);
                FullHttpResponse response = GatewayResponses.empty(ctx.alloc(), HttpResponseStatus.NO_CONTENT);
                decorate(exchange, response);
                if (policy.headersFor(exchange.origin()) != null && policy.maxAgeSeconds() > 0) {
                    response.headers().set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, policy.maxAgeSeconds());
                }
                ctx.writeAndFlush(response);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response && response.status().code() >= 200) {
            Exchange exchange = Exchange.of(ctx.channel());
            if (exchange != null) {
                decorate(exchange, response);
            }
        }
        ctx.write(msg, promise);
    }

    private static void decorate(Exchange exchange, HttpResponse response) {
        HttpHeaders cors = exchange.config().cors().headersFor(exchange.origin());
        HttpHeaders headers = response.headers();
        if (exchange.config().cors().variesByOrigin()) {
            appendVaryOrigin(headers);
        }
        if (cors == null) {
            return;
        }
        // The CharSequence iterator keeps the policy's precomputed AsciiString values: no String per header.
        var entries = cors.iteratorCharSequence();
        while (entries.hasNext()) {
            var header = entries.next();
            if (!HttpHeaderNames.VARY.contentEqualsIgnoreCase(header.getKey())) {
                headers.set(header.getKey(), header.getValue());
            }
        }
    }

    private static void appendVaryOrigin(HttpHeaders headers) {
        // A backend may send several Vary headers: judge and keep them all, not just the first.
        List<String> values = headers.getAll(HttpHeaderNames.VARY);
        if (values.isEmpty()) {
            headers.set(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
            return;
        }
        String vary = String.join(", ", values);
        if (!containsToken(vary, "origin") && !containsToken(vary, "*")) {
            headers.set(HttpHeaderNames.VARY, vary + ", Origin");
        }
    }

    private static boolean containsToken(String list, String token) {
        for (String part : list.split(",")) {
            if (part.trim().equalsIgnoreCase(token)) {
                return true;
            }
        }
        return false;
    }
}
