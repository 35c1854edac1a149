package io.gatehouse.pipeline;

import io.gatehouse.auth.ApiClient;
import io.gatehouse.config.AuthMode;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;

import java.util.List;

/**
 * API-key authentication for routes that require it: a missing, empty or ambiguous key is answered 401, an unknown
 * one 403. On success the key header is removed, so the backend never sees it, and {@code X-Client-Name} is set to
 * the client's name, overwriting any copy the client sent. Keys are never logged or echoed.
 */
public final class ApiKeyAuthHandler extends ChannelInboundHandlerAdapter {

    public static final AsciiString X_CLIENT_NAME = AsciiString.cached("X-Client-Name");

    private final RequestDiscarder discarder = new RequestDiscarder();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (discarder.discard(msg)) {
            return;
        }
        if (msg instanceof HttpRequest request) {
            Exchange exchange = Exchange.of(ctx.channel());
            if (exchange.route().config().auth() == AuthMode.API_KEY) {
                if (!authenticate(ctx, exchange, request)) {
                    return;
                }
            } else {
                request.headers().remove(exchange.config().config().auth().header());
            }
            // A client must never choose the name the backend trusts, on open routes too.
            request.headers().remove(X_CLIENT_NAME);
            if (exchange.client() != null) {
                request.headers().set(X_CLIENT_NAME, exchange.client().name());
            }
        }
        ctx.fireChannelRead(msg);
    }

    private boolean authenticate(ChannelHandlerContext ctx, Exchange exchange, HttpRequest request) {
        String header = exchange.config().config().auth().header();
        HttpHeaders headers = request.headers();
        List<String> values = headers.getAll(header);
        headers.remove(header);
        if (values.isEmpty() || values.get(0).isBlank()) {
            reject(ctx, request, HttpResponseStatus.UNAUTHORIZED, "Missing " + header + " header");
            return false;
        }
        String key = values.get(0).trim();
        if (values.size() > 1 || key.indexOf(',') >= 0) {
            reject(ctx, request, HttpResponseStatus.UNAUTHORIZED, "More than one " + header + " value");
            return false;
        }
        if (!isVisibleAscii(key)) {
            // Not a key anyone was given: bytes meant for some other parser. Refuse and end the connection.
            discarder.drop(request);
            GatewayResponses.sendRejection(ctx, HttpResponseStatus.BAD_REQUEST, "Malformed " + header + " header");
            return false;
        }
        ApiClient client = exchange.config().apiKeys().lookup(key);
        if (client == null) {
            reject(ctx, request, HttpResponseStatus.FORBIDDEN, "Invalid API key");
            return false;
        }
        exchange.client(client);
        return true;
    }

    private static boolean isVisibleAscii(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    private void reject(ChannelHandlerContext ctx, HttpRequest request, HttpResponseStatus status, String message) {
        discarder.drop(request);
        GatewayResponses.sendError(ctx, status, message);
    }
}
