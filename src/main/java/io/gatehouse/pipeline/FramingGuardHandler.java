package io.gatehouse.pipeline;

import io.gatehouse.server.ClientDeadlineHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

import java.util.List;

/**
 * Refuses requests that the decoder could not parse or whose framing is ambiguous, before any policy or backend
 * sees them: a request two parsers could read two ways must never be forwarded. Answers 400 (414, 431, 405, 501
 * where those say more) with {@code Connection: close}; the connection handler then closes after the write. A body
 * the decoder could not parse (a bad chunk line) is not passed on as complete: its request may already be on its
 * way to the backend, so the proxy drops that backend request, and the client gets 400 and a close.
 */
public final class FramingGuardHandler extends ChannelInboundHandlerAdapter {

    private final RequestDiscarder discarder = new RequestDiscarder();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (discarder.discard(msg)) {
            return;
        }
        if (!(msg instanceof HttpRequest) && msg instanceof HttpContent content
                && content.decoderResult().isFailure()) {
            // A bad chunk line or oversized trailers: the decoder ends the body with a failed last content. Passed
            // on, it would end the backend's request as if the body were complete. Instead the proxy drops its
            // backend request, and the client gets 400 and a close (only the close if a response has begun).
            content.release();
            Exchange exchange = Exchange.of(ctx.channel());
            if (exchange != null) {
                exchange.failure("malformed request body");
            }
            ctx.fireUserEventTriggered(ClientDeadlineHandler.REQUEST_ABANDONED);
            if (exchange == null || exchange.status() != 0) {
                ctx.close();
            } else {
                GatewayResponses.sendRejection(ctx, HttpResponseStatus.BAD_REQUEST, "Malformed request body");
            }
            return;
        }
        if (msg instanceof HttpRequest request) {
            Rejection rejection = check(request, Exchange.of(ctx.channel()));
            if (rejection != null) {
                discarder.drop(request);
                GatewayResponses.sendRejection(ctx, rejection.status, rejection.message);
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    private record Rejection(HttpResponseStatus status, String message) {
    }

    static Rejection check(HttpRequest request, Exchange exchange) {
        DecoderResult result = request.decoderResult();
        if (result.isFailure()) {
            Throwable cause = result.cause();
            if (cause instanceof TooLongHttpLineException) {
                return new Rejection(HttpResponseStatus.REQUEST_URI_TOO_LONG, "Request line too long");
            }
            if (cause instanceof TooLongHttpHeaderException) {
                return new Rejection(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Request headers too large");
            }
            if (cause instanceof TooLongFrameException) {
                return new Rejection(HttpResponseStatus.BAD_REQUEST, "Request too large");
            }
            return new Rejection(HttpResponseStatus.BAD_REQUEST, "Malformed request");
        }
        HttpVersion version = request.protocolVersion();
        if (version.majorVersion() != 1 || version.minorVersion() > 1) {
            return new Rejection(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP version not supported");
        }
        HttpHeaders headers = request.headers();
        List<String> transferEncodings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!transferEncodings.isEmpty()) {
            if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                return new Rejection(HttpResponseStatus.BAD_REQUEST, "Both Content-Length and Transfer-Encoding");
            }
            if (version.minorVersion() == 0) {
                return new Rejection(HttpResponseStatus.BAD_REQUEST, "Transfer-Encoding in an HTTP/1.0 request");
            }
            if (transferEncodings.size() != 1 || !"chunked".equalsIgnoreCase(transferEncodings.get(0).trim())) {
                return new Rejection(HttpResponseStatus.NOT_IMPLEMENTED, "Unsupported Transfer-Encoding");
            }
        }
        List<String> lengths = headers.getAll(HttpHeaderNames.CONTENT_LENGTH);
        if (lengths.size() > 1 || (lengths.size() == 1 && !isDigits(lengths.get(0)))) {
            return new Rejection(HttpResponseStatus.BAD_REQUEST, "Invalid Content-Length");
        }
        List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1 || (hosts.isEmpty() && version.minorVersion() == 1)) {
            return new Rejection(HttpResponseStatus.BAD_REQUEST, "Missing or repeated Host header");
        }
        if (hosts.size() == 1 && !isValidHost(hosts.get(0))) {
            return new Rejection(HttpResponseStatus.BAD_REQUEST, "Invalid Host header");
        }
        if (HttpMethod.CONNECT.equals(request.method())) {
            return new Rejection(HttpResponseStatus.METHOD_NOT_ALLOWED, "CONNECT is not supported");
        }
        if (exchange.h2cUpgrade()) {
            // The Upgrade header itself is hop-by-hop and already gone; the exchange remembers it was asked for.
            return new Rejection(HttpResponseStatus.BAD_REQUEST, "Upgrade to h2c is not supported");
        }
        if (exchange.headerCount() > exchange.config().config().server().maxHeaders()) {
            return new Rejection(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many request headers");
        }
        for (var header : headers) {
            // Some backends fold '_' into '-': X_API_Key must not become a second X-API-Key behind our back.
            if (header.getKey().indexOf('_') >= 0) {
                return new Rejection(HttpResponseStatus.BAD_REQUEST, "Underscore in a header name");
            }
        }
        return null;
    }

    private static boolean isDigits(String value) {
        if (value.isEmpty() || value.length() > 18) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** {@code host[:port]}: a reg-name, IPv4 or bracketed IPv6 literal; no userinfo, no list, no path. */
    private static boolean isValidHost(String host) {
        if (host.isEmpty()) {
            return false;
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_' || c == '~';
            if (!ok) {
                return false;
            }
        }
        return true;
    }
}
