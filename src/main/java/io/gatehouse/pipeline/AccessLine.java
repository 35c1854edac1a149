package io.gatehouse.pipeline;

import io.gatehouse.exchange.Exchange;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.util.AsciiString;
import tools.jackson.core.JsonGenerator;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The facts of one access line, taken from the exchange on the event loop when its response is written; the text
 * ({@link #toString()}) is made on the access log's own thread, so an event loop builds no string for it.
 * Immutable. The text line leaves the query string out: it can carry secrets. The JSON line ({@link #writeJson})
 * has it raw, as operators asked; neither has an API key, an {@code Authorization} value or a cookie — no header
 * but {@code User-Agent} is taken.
 */
record AccessLine(String method, String path, String rawUri, int status, long micros, String client,
                  AsciiString requestId, String backend, int attempts, String failure,
                  String query, String traceId, SocketAddress clientAddress, String route, String upstream,
                  String target, long bytesIn, long bytesOut, long backendMicros, String userAgent,
                  long configGeneration) {

    private static final int MAX_LOGGED_URI = 256;
    private static final int MAX_USER_AGENT = 512;

    static AccessLine of(Exchange exchange) {
        return of(exchange, null);
    }

    static AccessLine of(Exchange exchange, SocketAddress clientAddress) {
        return new AccessLine(exchange.method().name(), exchange.path(), exchange.rawUri(), exchange.status(),
                TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - exchange.startNanos()),
                exchange.client() != null ? exchange.client().name() : null, exchange.requestIdValue(),
                exchange.backend(), exchange.attempts(), exchange.failure(),
                exchange.rawQuery(), exchange.traceId(), clientAddress,
                exchange.route() != null ? exchange.route().prefix() : null,
                exchange.upstream() != null ? exchange.upstream().name() : null, exchange.lastTarget(),
                exchange.bytesIn(), exchange.bytesOut(),
                exchange.backendNanos() < 0 ? -1 : TimeUnit.NANOSECONDS.toMicros(exchange.backendNanos()),
                exchange.requestHeaders().get(HttpHeaderNames.USER_AGENT), exchange.config().generation());
    }

    /**
     * One JSON object with the fixed keys, on the access log's thread; a value that is not known is {@code null},
     * and {@code failure} is there only when the exchange ended abnormally.
     */
    void writeJson(JsonGenerator json, String ts) {
        json.writeStartObject();
        json.writeStringProperty("ts", ts);
        json.writeStringProperty("request_id", requestId.toString());
        json.writeStringProperty("trace_id", traceId);
        json.writeStringProperty("method", method);
        json.writeStringProperty("path", path != null ? path : printable(rawUri));
        json.writeStringProperty("query", query);
        json.writeNumberProperty("status", status);
        json.writeNumberProperty("duration_ms", micros / 1000.0);
        json.writeStringProperty("client", client);
        json.writeStringProperty("client_ip", clientAddress instanceof InetSocketAddress inet
                && inet.getAddress() != null ? inet.getAddress().getHostAddress() : null);
        json.writeStringProperty("route", route);
        json.writeStringProperty("upstream", upstream);
        json.writeStringProperty("target", target);
        json.writeNumberProperty("attempts", attempts);
        json.writeNumberProperty("bytes_in", bytesIn);
        json.writeNumberProperty("bytes_out", bytesOut);
        if (backendMicros < 0) {
            json.writeNullProperty("backend_ms");
        } else {
            json.writeNumberProperty("backend_ms", backendMicros / 1000.0);
        }
        json.writeStringProperty("user_agent", userAgent == null || userAgent.length() <= MAX_USER_AGENT
                ? userAgent : userAgent.substring(0, MAX_USER_AGENT));
        // The config snapshot the request ran under, as /config numbers it: which routes and targets it saw.
        json.writeNumberProperty("config_generation", configGeneration);
        if (failure != null) {
            json.writeStringProperty("failure", failure);
        }
        json.writeEndObject();
    }

    /**
     * {@code GET /api/users/42 -> 200 (1.9ms) [mobile-app] request_id=… backend=localhost:4001}; after retries
     * {@code backend=localhost:4001,localhost:4011 attempts=2}.
     */
    @Override
    public String toString() {
        StringBuilder line = new StringBuilder(160)
                .append(method).append(' ')
                .append(path != null ? path : printable(rawUri))
                .append(" -> ").append(status == 0 ? "-" : Integer.toString(status))
                .append(" (").append(micros / 1000).append('.').append((micros % 1000) / 100).append("ms)")
                .append(" [").append(client != null ? client : "anonymous").append(']')
                .append(" request_id=").append(requestId)
                .append(" backend=").append(backend != null ? backend : "-");
        if (attempts > 1) {
            line.append(" attempts=").append(attempts);
        }
        if (failure != null) {
            line.append(" error=\"").append(failure).append('"');
        }
        return line.toString();
    }

    /** The path part of a raw target, cut short and with anything unprintable replaced, so a line stays one line. */
    static String printable(String rawUri) {
        int end = rawUri.indexOf('?');
        if (end < 0) {
            end = rawUri.length();
        }
        end = Math.min(end, MAX_LOGGED_URI);
        StringBuilder out = new StringBuilder(end);
        for (int i = 0; i < end; i++) {
            char c = rawUri.charAt(i);
            out.append(c > 0x20 && c < 0x7f && c != '"' ? c : '?');
        }
        if (end < rawUri.length() && rawUri.indexOf('?') != end) {
            out.append("...");
        }
        return out.toString();
    }
}
