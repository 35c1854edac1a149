package io.gatehouse.pipeline;

import io.gatehouse.config.WebSocketConfig;
import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.util.Base64;
import java.util.List;

/**
 * Whether a request that asks for a WebSocket upgrade may go on, judged once its route is known and before any
 * policy: only on a route with {@code websocket: true}, and only as the opening handshake of RFC 6455 §4.1 — a
 * bodyless HTTP/1.1 {@code GET} with one {@code Sec-WebSocket-Key} (16 bytes, base64) and one
 * {@code Sec-WebSocket-Version}. Anything else is answered 400 and never forwarded: a backend must not be left to
 * guess whether a connection is still HTTP. The version's value, subprotocols and extensions are the backend's to
 * judge; after the switch the gateway relays bytes and reads no frame.
 */
final class WebSocketUpgrades {

    private static final Answer NOT_ENABLED = refuse("WebSocket is not enabled on this route");
    private static final Answer NOT_GET = refuse("A WebSocket upgrade must be a GET");
    private static final Answer NOT_HTTP11 = refuse("A WebSocket upgrade needs HTTP/1.1");
    private static final Answer WITH_BODY = refuse("A WebSocket upgrade has no body");
    private static final Answer BAD_KEY = refuse("Missing or invalid Sec-WebSocket-Key");
    private static final Answer BAD_VERSION = refuse("Missing or repeated Sec-WebSocket-Version");

    private WebSocketUpgrades() {
    }

    /** Why {@code exchange}, which asks for WebSocket, cannot go to its route; null when it may. */
    static Answer problem(Exchange exchange, WebSocketConfig websocket) {
        if (!websocket.enabled()) {
            return NOT_ENABLED;
        }
        if (!HttpMethod.GET.equals(exchange.method())) {
            return NOT_GET;
        }
        if (!HttpVersion.HTTP_1_1.equals(exchange.version())) {
            return NOT_HTTP11;
        }
        if (!exchange.bodyless()) {
            return WITH_BODY;
        }
        List<String> keys = exchange.requestHeaders().getAll(HttpHeaderNames.SEC_WEBSOCKET_KEY);
        if (keys.size() != 1 || !isNonce(keys.get(0))) {
            return BAD_KEY;
        }
        if (exchange.requestHeaders().getAll(HttpHeaderNames.SEC_WEBSOCKET_VERSION).size() != 1) {
            return BAD_VERSION;
        }
        return null;
    }

    private static boolean isNonce(String key) {
        String trimmed = key.trim();
        if (trimmed.length() != 24) {
            return false;
        }
        try {
            return Base64.getDecoder().decode(trimmed).length == 16;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Answer refuse(String message) {
        return Answer.error(HttpResponseStatus.BAD_REQUEST, message).withFailure("websocket upgrade refused");
    }
}
