package io.gatehouse.pipeline;

import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.RequestIds;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.metrics.RouteMetrics;
import io.gatehouse.ratelimit.RateLimitResult;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;

import java.net.SocketAddress;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one place every response passes on its way to the client — proxied or the gateway's own, from any stage, a
 * 400 from the framing check as much as a 502 — so each gets the same decoration: {@code X-Request-Id}, the CORS
 * headers and {@code Vary: Origin}, the rate-limit headers when a decision was made. When the response has been
 * written (or the connection ended first) it records the request's metrics on the handle its snapshot resolved for
 * the route, and writes the access line: method, path, status, duration,
 * client, request ID and backend, handed to {@link AccessLogWriter} so that neither the appender nor a slow disk
 * ever holds up an event loop. The query string is left out: it can carry secrets. API keys never reach the line.
 * <p>
 * A WebSocket tunnel's exchange is logged when its connection closes: status 101, the tunnel's whole duration and
 * its bytes each way.
 * <p>
 * A response with no exchange (a request head that never completed, answered 408) still gets a fresh request ID
 * and the CORS headers of the running config.
 */
@Sharable
public final class ResponseFinisher extends ChannelDuplexHandler {

    public static final AsciiString X_REQUEST_ID = RequestIds.HEADER;
    public static final AsciiString X_RATELIMIT_LIMIT = RateLimitResponseHeaders.X_RATELIMIT_LIMIT;
    public static final AsciiString X_RATELIMIT_REMAINING = RateLimitResponseHeaders.X_RATELIMIT_REMAINING;

    private final Supplier<RuntimeConfig> config;
    private final BooleanSupplier logEnabled;
    private final Consumer<Object> log;
    private final AccessLog accessLog;

    public ResponseFinisher(Supplier<RuntimeConfig> config) {
        this(config, AccessLogWriter::enabled, AccessLogWriter::submit);
    }

    /** Writes access lines to {@code accessLog}, the server's (text or JSON, standard output or a file). */
    public ResponseFinisher(Supplier<RuntimeConfig> config, AccessLog accessLog) {
        this.config = config;
        this.logEnabled = accessLog::enabled;
        this.log = null;
        this.accessLog = accessLog;
    }

    /**
     * Hands each access line to {@code log}, when {@code logEnabled}, instead of the {@code access} logger; its
     * {@code toString()} is the line's text.
     */
    ResponseFinisher(Supplier<RuntimeConfig> config, BooleanSupplier logEnabled, Consumer<Object> log) {
        this.config = config;
        this.logEnabled = logEnabled;
        this.log = log;
        this.accessLog = null;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        Exchange exchange = Exchange.of(ctx.channel());
        if (msg instanceof HttpResponse response) {
            int code = response.status().code();
            if (exchange == null) {
                decorateWithoutExchange(response.headers());
            } else {
                response.headers().set(X_REQUEST_ID, exchange.requestIdValue());
                if (code >= 200) {
                    exchange.status(code);
                    decorate(exchange, response.headers());
                }
            }
        }
        if (exchange != null && msg instanceof HttpContent content && exchange.status() >= 200) {
            exchange.addBytesOut(content.content().readableBytes());
        }
        if (exchange != null && msg instanceof LastHttpContent && exchange.status() >= 200 && !exchange.logged()) {
            promise = promise.unvoid();
            SocketAddress remote = ctx.channel().remoteAddress();
            promise.addListener(f -> {
                if (!f.isSuccess()) {
                    exchange.failure("client write failed");
                }
                log(exchange, remote);
            });
        }
        ctx.write(msg, promise);
    }

    private static void decorate(Exchange exchange, HttpHeaders headers) {
        exchange.config().cors().decorate(headers, exchange.origin());
        RateLimitResult result = exchange.rateLimit();
        if (result != null) {
            RateLimitResponseHeaders.decorate(headers, result, exchange.config().config().rateLimit());
        }
    }

    private void decorateWithoutExchange(HttpHeaders headers) {
        headers.set(X_REQUEST_ID, RequestIds.next());
        config.get().cors().decorate(headers, null);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        Exchange exchange = Exchange.of(ctx.channel());
        if (exchange != null && !exchange.logged()) {
            if (!exchange.tunnelled()) {
                exchange.failure("connection closed before the response was complete");
            }
            log(exchange, ctx.channel().remoteAddress());
        }
        super.channelInactive(ctx);
    }

    /** The exchange is over: its metrics are recorded and its access line queued, once. */
    private void log(Exchange exchange, SocketAddress remote) {
        if (!exchange.markLogged()) {
            return;
        }
        record(exchange);
        if (!logEnabled.getAsBoolean()) {
            return;
        }
        AccessLine line = AccessLine.of(exchange, remote);
        if (accessLog != null) {
            accessLog.submit(line);
        } else {
            log.accept(line);
        }
    }

    /** A few atomic adds on handles the snapshot resolved for the route: no lookup by label, no allocation. */
    private static void record(Exchange exchange) {
        RouteMetrics metrics = exchange.config().routeMetrics(exchange.route());
        metrics.request(RouteMetrics.methodIndex(exchange.method().name()), exchange.status(),
                System.nanoTime() - exchange.startNanos());
        if (exchange.authFailure() != null) {
            metrics.authFailure(exchange.authFailure());
        }
        RateLimitResult decision = exchange.rateLimit();
        if (decision != null && !decision.allowed()) {
            // Per-IP limits have no client name: one fixed label value for all of them, never the address.
            metrics.rateLimited(exchange.client() != null ? exchange.client().metricsLabel() : "anonymous");
        }
    }
}
