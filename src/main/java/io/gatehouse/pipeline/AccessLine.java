package io.gatehouse.pipeline;

import io.gatehouse.exchange.Exchange;
import io.netty.util.AsciiString;

import java.util.concurrent.TimeUnit;

/**
 * The facts of one access line, taken from the exchange on the event loop when its response is written; the text
 * ({@link #toString()}) is made on the access log's own thread, so an event loop builds no string for it.
 * Immutable. The query string is left out: it can carry secrets; API keys never reach the line.
 */
record AccessLine(String method, String path, String rawUri, int status, long micros, String client,
                  AsciiString requestId, String backend, int attempts, String failure) {

    private static final int MAX_LOGGED_URI = 256;

    static AccessLine of(Exchange exchange) {
        return new AccessLine(exchange.method().name(), exchange.path(), exchange.rawUri(), exchange.status(),
                TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - exchange.startNanos()),
                exchange.client() != null ? exchange.client().name() : null, exchange.requestIdValue(),
                exchange.backend(), exchange.attempts(), exchange.failure());
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
