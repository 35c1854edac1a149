package io.gatehouse.pipeline;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Writes one line per request to the {@code access} logger when the response has been written (or the connection
 * ended first): method, path, status, duration, client, request ID and backend. The line is handed to
 * {@link AccessLogWriter}, so neither the appender nor a slow disk ever holds up an event loop. The query string is left
 * out: it can carry secrets. API keys never reach this line.
 */
@Sharable
public final class AccessLogHandler extends ChannelDuplexHandler {

    private static final int MAX_LOGGED_URI = 256;

    private final BooleanSupplier enabled;
    private final Consumer<String> sink;

    public AccessLogHandler() {
        this(AccessLogWriter::enabled, AccessLogWriter::submit);
    }

    /** Hands each line to {@code sink}, when {@code enabled}, instead of the {@code access} logger (for tests). */
    AccessLogHandler(BooleanSupplier enabled, Consumer<String> sink) {
        this.enabled = enabled;
        this.sink = sink;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        Exchange exchange = Exchange.of(ctx.channel());
        if (exchange != null) {
            if (msg instanceof HttpResponse response && response.status().code() >= 200) {
                exchange.status(response.status().code());
            }
            if (msg instanceof LastHttpContent && exchange.status() >= 200) {
                promise = promise.unvoid();
                promise.addListener(f -> {
                    if (!f.isSuccess()) {
                        exchange.failure("client write failed");
                    }
                    log(exchange);
                });
            }
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        Exchange exchange = Exchange.of(ctx.channel());
        if (exchange != null && !exchange.logged()) {
            exchange.failure("connection closed before the response was complete");
            log(exchange);
        }
        super.channelInactive(ctx);
    }

    private void log(Exchange exchange) {
        if (!exchange.markLogged() || !enabled.getAsBoolean()) {
            return;
        }
        long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - exchange.startNanos());
        StringBuilder line = new StringBuilder(160)
                .append(exchange.method().name()).append(' ')
                .append(exchange.path() != null ? exchange.path() : printable(exchange.rawUri()))
                .append(" -> ").append(exchange.status() == 0 ? "-" : Integer.toString(exchange.status()))
                .append(" (").append(micros / 1000).append('.').append((micros % 1000) / 100).append("ms)")
                .append(" [").append(exchange.client() != null ? exchange.client().name() : "anonymous").append(']')
                .append(" request_id=").append(exchange.requestId())
                .append(" backend=").append(exchange.backend() != null ? exchange.backend() : "-");
        if (exchange.failure() != null) {
            line.append(" error=\"").append(exchange.failure()).append('"');
        }
        sink.accept(line.toString());
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
