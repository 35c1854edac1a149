package io.gatehouse.server;

import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.FilterChain;
import io.gatehouse.exchange.GatewayResponses;
import io.gatehouse.exchange.RequestIds;
import io.gatehouse.tracing.TraceParent;
import io.gatehouse.exchange.Verdict;
import io.gatehouse.proxy.Forwarder;
import io.gatehouse.proxy.HopByHopHeaders;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Function;

/**
 * The last client-side handler: runs each request through its snapshot's filter chains, then forwards it. For a
 * request head it removes the client's hop-by-hop headers (before any header of the gateway's own is added), sets
 * {@code X-Request-Id}, runs the filters every request runs (framing, preflight, health, routing) and then the
 * route's own chain, and hands what passed to the {@link Forwarder}; a filter's answer is written from here, and
 * the rest of that request's body is dropped. A suspended verdict holds the request, and anything read behind it,
 * until the verdict is known, on this connection's event loop.
 * <p>
 * A request without a body is forwarded only once its end has been read (it is already decoded, so this costs no
 * wait): the backend then gets head and end as one message. A streaming body passes through here piece by piece,
 * checked against the route's body limit and for decoding failures.
 */
public final class ExchangeHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(ExchangeHandler.class);

    private static final Answer MALFORMED_BODY = Answer.rejection(HttpResponseStatus.BAD_REQUEST,
            "Malformed request body").withFailure("malformed request body");
    private static final Answer BODY_TOO_LARGE = Answer.rejection(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
            "Request body too large").withFailure("body grew past the route's limit");
    private static final Answer FILTER_FAILED = Answer.error(HttpResponseStatus.INTERNAL_SERVER_ERROR,
            "Internal gateway error").withFailure("filter failed");

    private final Function<ChannelHandlerContext, Forwarder> forwarders;
    private ChannelHandlerContext ctx;
    private Forwarder forwarder;

    /** A bodyless request head waiting for its (already decoded) end. */
    private HttpRequest awaitingEnd;
    /** The request whose chain waits on a suspended verdict, and what was read behind it meanwhile. */
    private HttpRequest suspended;
    private ArrayDeque<Object> heldBack;
    /** The current request was answered here while its body may still come: drop that body. */
    private boolean discarding;
    /** The current request went to the backend and its body follows it there. */
    private boolean forwarding;
    private long bodyBytes;

    /** @param forwarders makes this connection's forwarder, given this handler's context */
    public ExchangeHandler(Function<ChannelHandlerContext, Forwarder> forwarders) {
        this.forwarders = forwarders;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.forwarder = forwarders.apply(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (suspended != null) {
            if (heldBack == null) {
                heldBack = new ArrayDeque<>(2);
            }
            heldBack.add(msg);
        } else if (msg instanceof HttpRequest request) {
            onHead(request);
        } else if (msg instanceof HttpContent content) {
            onContent(content);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onHead(HttpRequest request) {
        Exchange exchange = Exchange.of(ctx.channel());
        if (exchange == null || forwarder.busy() || awaitingEnd != null) {
            // Reads are paced, so this cannot happen; if it does, the connection is confused: end it.
            ReferenceCountUtil.release(request);
            ctx.close();
            return;
        }
        discarding = false;
        forwarding = false;
        bodyBytes = 0;
        HopByHopHeaders.strip(request.headers());
        request.headers().set(RequestIds.HEADER, exchange.requestIdValue());
        propagateTrace(exchange, request.headers());
        if (request instanceof LastHttpContent) {
            run(exchange, request, true, false, 0);
        } else if (exchange.bodyless() && exchange.decoderFailure() == null) {
            // The end is decoded already and waits in the read pacing handler: this read hands it over at once.
            awaitingEnd = request;
            ctx.read();
        } else {
            run(exchange, request, false, false, 0);
        }
    }

    /**
     * W3C trace context: the backend gets a {@code traceparent} with the gateway's span as parent, in the client's
     * trace when its header is valid and trusted (its {@code tracestate} goes along), in a new one otherwise.
     */
    private static void propagateTrace(Exchange exchange, HttpHeaders headers) {
        List<String> incoming = headers.getAll(TraceParent.HEADER);
        boolean trust = exchange.config().config().operations().tracing().trustIncoming();
        TraceParent trace = TraceParent.next(incoming.size() == 1 ? incoming.get(0) : null, trust);
        headers.set(TraceParent.HEADER, trace.header());
        if (!trace.continued()) {
            headers.remove(TraceParent.STATE_HEADER);
        }
        exchange.traceId(trace.traceId());
    }

    private void onContent(HttpContent content) {
        Exchange exchange = Exchange.of(ctx.channel());
        boolean last = content instanceof LastHttpContent;
        if (awaitingEnd != null) {
            HttpRequest request = awaitingEnd;
            awaitingEnd = null;
            if (last && !content.content().isReadable()) {
                content.release();
                run(exchange, request, true, false, 0);
                return;
            }
            run(exchange, request, false, false, 0);
            if (suspended != null) {
                channelRead(ctx, content);
                return;
            }
        }
        if (content.decoderResult().isFailure()) {
            // A bad chunk line or oversized trailers: the decoder ends the body with a failed last content. Passed
            // on, it would end the backend's request as if the body were complete: drop that request instead.
            content.release();
            giveUp(exchange, MALFORMED_BODY, true);
            return;
        }
        if (discarding || !forwarding) {
            content.release();
            if (last) {
                discarding = false;
            }
            return;
        }
        exchange.addBytesIn(content.content().readableBytes());
        long max = exchange.maxBody();
        if (max > 0) {
            bodyBytes += content.content().readableBytes();
            if (bodyBytes > max) {
                content.release();
                giveUp(exchange, BODY_TOO_LARGE, last);
                return;
            }
        }
        if (last) {
            forwarding = false;
        }
        forwarder.content(content);
    }

    /**
     * Runs the filters from {@code from} on: the entry chain, then ({@code routeStage}) the route's chain, then
     * forwards. {@code complete}: the request has no body still to come.
     */
    private void run(Exchange exchange, HttpRequest request, boolean complete, boolean routeStage, int from) {
        FilterChain chain = routeStage ? exchange.config().chain(exchange.route()) : exchange.config().entry();
        for (int i = from; i < chain.size(); i++) {
            Verdict verdict;
            try {
                verdict = chain.get(i).apply(exchange);
            } catch (RuntimeException e) {
                LOG.error("filter {} failed", chain.get(i).name(), e);
                verdict = Verdict.answer(FILTER_FAILED);
            }
            if (verdict.proceeds()) {
                continue;
            }
            if (verdict.answer() != null) {
                answer(exchange, request, complete, verdict.answer());
            } else {
                suspend(exchange, request, complete, routeStage, i, verdict);
            }
            return;
        }
        if (!routeStage) {
            run(exchange, request, complete, true, 0);
            return;
        }
        forwarding = !complete;
        forwarder.forward(exchange, request, complete);
    }

    private void suspend(Exchange exchange, HttpRequest request, boolean complete, boolean routeStage, int at,
                         Verdict verdict) {
        suspended = request;
        verdict.later().whenComplete((value, failure) -> {
            if (ctx.executor().inEventLoop()) {
                resume(exchange, request, complete, routeStage, at, verdict, value, failure);
            } else {
                ctx.executor().execute(() ->
                        resume(exchange, request, complete, routeStage, at, verdict, value, failure));
            }
        });
    }

    private void resume(Exchange exchange, HttpRequest request, boolean complete, boolean routeStage, int at,
                        Verdict verdict, Object value, Throwable failure) {
        if (suspended != request) {
            return; // the connection closed meanwhile; everything was released then
        }
        suspended = null;
        Verdict next;
        try {
            next = verdict.resume(value, failure);
        } catch (RuntimeException e) {
            LOG.error("filter {} failed on resuming", chainAt(exchange, routeStage, at), e);
            next = Verdict.answer(FILTER_FAILED);
        }
        if (next.proceeds()) {
            run(exchange, request, complete, routeStage, at + 1);
        } else if (next.answer() != null) {
            answer(exchange, request, complete, next.answer());
        } else {
            suspend(exchange, request, complete, routeStage, at, next);
        }
        ArrayDeque<Object> queued = heldBack;
        Object msg;
        while (suspended == null && queued != null && (msg = queued.poll()) != null) {
            channelRead(ctx, msg);
        }
    }

    private static String chainAt(Exchange exchange, boolean routeStage, int at) {
        FilterChain chain = routeStage ? exchange.config().chain(exchange.route()) : exchange.config().entry();
        return chain.get(at).name();
    }

    /** A filter answered: the request goes no further, and the rest of its body is dropped as it arrives. */
    private void answer(Exchange exchange, HttpRequest request, boolean complete, Answer answer) {
        ReferenceCountUtil.release(request);
        discarding = !complete;
        if (answer.failure() != null) {
            exchange.failure(answer.failure());
        }
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(GatewayResponses.of(ctx.alloc(), answer, HttpMethod.HEAD.equals(exchange.method())));
        }
    }

    /**
     * The request's body cannot go on (malformed, or over the limit) after the request may already be on its way
     * to the backend: that backend request is dropped, and the client gets {@code answer} and a close — only the
     * close if a response has begun.
     */
    private void giveUp(Exchange exchange, Answer answer, boolean bodyEnded) {
        forwarding = false;
        discarding = !bodyEnded;
        exchange.failure(answer.failure());
        forwarder.abandon();
        if (exchange.status() != 0) {
            ctx.close();
        } else if (ctx.channel().isActive()) {
            ctx.writeAndFlush(GatewayResponses.of(ctx.alloc(), answer, false));
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt == ClientDeadlineHandler.REQUEST_ABANDONED) {
            forwarding = false;
            forwarder.abandon();
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
        forwarder.clientWritabilityChanged();
        super.channelWritabilityChanged(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        forwarder.clientClosed();
        releaseHeld();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseHeld();
    }

    private void releaseHeld() {
        if (suspended != null) {
            ReferenceCountUtil.release(suspended);
            suspended = null;
        }
        if (awaitingEnd != null) {
            ReferenceCountUtil.release(awaitingEnd);
            awaitingEnd = null;
        }
        if (heldBack != null) {
            heldBack.forEach(ReferenceCountUtil::release);
            heldBack.clear();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException || cause instanceof io.netty.handler.codec.http2.Http2Exception) {
            // A client that resets, vanishes or breaks HTTP/2 on its stream is routine traffic, not a gateway fault.
            LOG.debug("client connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            LOG.warn("client connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        }
        ctx.close();
    }
}
