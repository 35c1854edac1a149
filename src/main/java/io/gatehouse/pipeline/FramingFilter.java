package io.gatehouse.pipeline;

import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.Filter;
import io.gatehouse.exchange.Verdict;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;

import java.util.Iterator;
import java.util.List;

/**
 * First on every request: refuses a request head that the decoder could not parse or whose framing is ambiguous,
 * before any policy or backend sees it — a request two parsers could read two ways must never be forwarded.
 * Answers 400 (414, 431, 405, 501, 505 where those say more) and closes the connection.
 */
final class FramingFilter implements Filter {

    static final FramingFilter INSTANCE = new FramingFilter();

    private FramingFilter() {
    }

    @Override
    public String name() {
        return "framing";
    }

    @Override
    public Verdict apply(Exchange exchange) {
        Answer rejection = check(exchange);
        return rejection == null ? Verdict.proceed() : Verdict.answer(rejection);
    }

    static Answer check(Exchange exchange) {
        Throwable failure = exchange.decoderFailure();
        if (failure != null) {
            if (failure instanceof TooLongHttpLineException) {
                return reject(HttpResponseStatus.REQUEST_URI_TOO_LONG, "Request line too long");
            }
            if (failure instanceof TooLongHttpHeaderException) {
                return reject(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Request headers too large");
            }
            if (failure instanceof TooLongFrameException) {
                return reject(HttpResponseStatus.BAD_REQUEST, "Request too large");
            }
            return reject(HttpResponseStatus.BAD_REQUEST, "Malformed request");
        }
        HttpVersion version = exchange.version();
        if (version.majorVersion() != 1 || version.minorVersion() > 1) {
            return reject(HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP version not supported");
        }
        HttpHeaders headers = exchange.requestHeaders();
        if (headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            List<String> transferEncodings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
            if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                return reject(HttpResponseStatus.BAD_REQUEST, "Both Content-Length and Transfer-Encoding");
            }
            if (version.minorVersion() == 0) {
                return reject(HttpResponseStatus.BAD_REQUEST, "Transfer-Encoding in an HTTP/1.0 request");
            }
            if (transferEncodings.size() != 1 || !"chunked".equalsIgnoreCase(transferEncodings.get(0).trim())) {
                return reject(HttpResponseStatus.NOT_IMPLEMENTED, "Unsupported Transfer-Encoding");
            }
        }
        if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            List<String> lengths = headers.getAll(HttpHeaderNames.CONTENT_LENGTH);
            if (lengths.size() > 1 || !isDigits(lengths.get(0))) {
                return reject(HttpResponseStatus.BAD_REQUEST, "Invalid Content-Length");
            }
        }
        Iterator<String> hosts = headers.valueStringIterator(HttpHeaderNames.HOST);
        String host = hosts.hasNext() ? hosts.next() : null;
        if (hosts.hasNext() || (host == null && version.minorVersion() == 1)) {
            return reject(HttpResponseStatus.BAD_REQUEST, "Missing or repeated Host header");
        }
        if (host != null && !isValidHost(host)) {
            return reject(HttpResponseStatus.BAD_REQUEST, "Invalid Host header");
        }
        if (HttpMethod.CONNECT.equals(exchange.method())) {
            return reject(HttpResponseStatus.METHOD_NOT_ALLOWED, "CONNECT is not supported");
        }
        if (exchange.h2cUpgrade()) {
            // The Upgrade header itself is hop-by-hop and already gone; the exchange remembers it was asked for.
            return reject(HttpResponseStatus.BAD_REQUEST, "Upgrade to h2c is not supported");
        }
        if (exchange.headerCount() > exchange.config().config().server().maxHeaders()) {
            return reject(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many request headers");
        }
        for (var names = headers.iteratorCharSequence(); names.hasNext(); ) {
            // Some backends fold '_' into '-': X_API_Key must not become a second X-API-Key behind our back.
            if (indexOf(names.next().getKey(), '_') >= 0) {
                return reject(HttpResponseStatus.BAD_REQUEST, "Underscore in a header name");
            }
        }
        return null;
    }

    private static Answer reject(HttpResponseStatus status, String message) {
        return Answer.rejection(status, message);
    }

    private static int indexOf(CharSequence value, char c) {
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) == c) {
                return i;
            }
        }
        return -1;
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
