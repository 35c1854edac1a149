package io.gatehouse.pipeline;

import io.gatehouse.auth.ApiClient;
import io.gatehouse.ratelimit.RateLimitDecision;
import io.gatehouse.ratelimit.RateLimiter;
import io.gatehouse.ratelimit.RateLimiterUnavailableException;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Per-client rate limiting for authenticated requests. Asks the {@link RateLimiter}, whose answer may come later
 * (a remote store): until it does, the request and anything behind it wait here. Over the limit → 429 with
 * {@code Retry-After}; every authenticated response carries {@code X-RateLimit-Limit} and
 * {@code X-RateLimit-Remaining}, added on the way out.
 */
public final class RateLimitHandler extends ChannelDuplexHandler {

    public static final AsciiString X_RATELIMIT_LIMIT = AsciiString.cached("X-RateLimit-Limit");
    public static final AsciiString X_RATELIMIT_REMAINING = AsciiString.cached("X-RateLimit-Remaining");

    private static final Logger LOG = LoggerFactory.getLogger(RateLimitHandler.class);

    private final RateLimiter limiter;
    private final RequestDiscarder discarder = new RequestDiscarder();
    /** Messages that arrived while a decision was pending; null when none is. */
    private ArrayDeque<Object> waiting;

    public RateLimitHandler(RateLimiter limiter) {
        this.limiter = limiter;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (waiting != null) {
            waiting.add(msg);
            return;
        }
        if (discarder.discard(msg)) {
            return;
        }
        if (msg instanceof HttpRequest request) {
            Exchange exchange = Exchange.of(ctx.channel());
            ApiClient client = exchange.client();
            if (client != null) {
                CompletionStage<RateLimitDecision> decision = limiter.acquire(client.name(), client.rateLimit());
                CompletableFuture<RateLimitDecision> future = decision.toCompletableFuture();
                if (future.isDone() && !future.isCompletedExceptionally()) {
                    decide(ctx, exchange, request, future.join());
                    return;
                }
                waiting = new ArrayDeque<>(2);
                decision.whenComplete((result, error) -> ctx.executor().execute(() -> {
                    if (error != null) {
                        failed(ctx, request, error);
                    } else {
                        decide(ctx, exchange, request, result);
                    }
                    drainWaiting(ctx);
                }));
                return;
            }
        }
        ctx.fireChannelRead(msg);
    }

    private void decide(ChannelHandlerContext ctx, Exchange exchange, HttpRequest request, RateLimitDecision d) {
        if (!ctx.channel().isActive()) {
            ReferenceCountUtil.release(request);
            return;
        }
        exchange.rateLimit(d);
        if (d.allowed()) {
            ctx.fireChannelRead(request);
            return;
        }
        discarder.drop(request);
        FullHttpResponse response = GatewayResponses.error(ctx.alloc(), HttpResponseStatus.TOO_MANY_REQUESTS,
                "Rate limit exceeded");
        addHeaders(response.headers(), d);
        response.headers().set(HttpHeaderNames.RETRY_AFTER, Math.max(1, (d.retryAfterMillis() + 999) / 1000));
        ctx.writeAndFlush(response);
    }

    private void failed(ChannelHandlerContext ctx, HttpRequest request, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof RateLimiterUnavailableException) {
            // The limiter logs each outage once; one line per refused request would flood the log.
            LOG.debug("rate limiter unavailable: {}", cause.getMessage());
        } else {
            LOG.warn("rate limiter failed: {}", cause.toString());
        }
        discarder.drop(request);
        if (ctx.channel().isActive()) {
            GatewayResponses.sendError(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "Rate limiter unavailable");
        }
    }

    private void drainWaiting(ChannelHandlerContext ctx) {
        ArrayDeque<Object> queued = waiting;
        waiting = null;
        Object msg;
        while ((msg = queued.poll()) != null) {
            channelRead(ctx, msg);
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response && response.status().code() >= 200) {
            Exchange exchange = Exchange.of(ctx.channel());
            if (exchange != null && exchange.rateLimit() != null) {
                addHeaders(response.headers(), exchange.rateLimit());
            }
        }
        ctx.write(msg, promise);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (waiting != null) {
            waiting.forEach(ReferenceCountUtil::release);
            waiting.clear();
        }
    }

    private static void addHeaders(HttpHeaders headers, RateLimitDecision decision) {
        headers.set(X_RATELIMIT_LIMIT, decision.limit());
        headers.set(X_RATELIMIT_REMAINING, Math.max(0, decision.remaining()));
    }
}
