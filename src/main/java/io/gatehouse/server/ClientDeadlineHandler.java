package io.gatehouse.server;

import io.gatehouse.config.ServerConfig;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.GatewayResponses;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * The client's deadlines, so that a slow or stalled client costs a connection for a bounded time:
 * <ul>
 *   <li><b>header</b> — a request head must arrive within {@code server.header_timeout} of its first byte
 *       (slowloris): 408 and close;</li>
 *   <li><b>body</b> — while the gateway is asking for request body, the client must send some within
 *       {@code server.body_timeout}: 408 (or an abort, if the response has begun), and the backend request is
 *       abandoned;</li>
 *   <li><b>write</b> — a client that accepts no response bytes for {@code server.write_timeout} is cut off (a
 *       writer-idle event from the idle handler, acted on only when bytes are actually waiting).</li>
 * </ul>
 * Time the gateway spends waiting on a backend never counts against the client. It sits after the read pacing
 * handler; a small companion before the codec reports raw bytes, which is how the first byte of a head is seen.
 */
public final class ClientDeadlineHandler extends ChannelDuplexHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ClientDeadlineHandler.class);

    /** Told by the pipeline when a request was abandoned by the gateway; the proxy drops its backend call. */
    public static final Object REQUEST_ABANDONED = new Object() {
        @Override
        public String toString() {
            return "REQUEST_ABANDONED";
        }
    };

    /** The server settings in force now: a reload's new timeouts apply from the next request head. */
    private final java.util.function.Supplier<ServerConfig> settings;
    private long headerTimeoutNanos;
    private long bodyTimeoutNanos;

    private ChannelHandlerContext ctx;
    private boolean inRequest;
    private long headStartedAt;
    private long bodyWaitSince;
    private ScheduledFuture<?> headTimer;
    private ScheduledFuture<?> bodyTimer;

    public ClientDeadlineHandler(ServerConfig server) {
        this(() -> server);
    }

    /** Deadlines from {@code settings}, read again at the first byte of each request head. */
    public ClientDeadlineHandler(java.util.function.Supplier<ServerConfig> settings) {
        this.settings = settings;
        ServerConfig server = settings.get();
        this.headerTimeoutNanos = server.headerTimeout().toNanos();
        this.bodyTimeoutNanos = server.bodyTimeout().toNanos();
    }

    /** Goes before the codec: notes the first raw byte of each request head. */
    public ChannelHandler rawBytesWatcher() {
        return new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext rawCtx, Object msg) throws Exception {
                if (msg instanceof ByteBuf bytes && bytes.isReadable()) {
                    bytesArrived();
                }
                rawCtx.fireChannelRead(msg);
            }
        };
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /**
     * The first byte of a head starts its clock. The timer is not cancelled when the head is complete: a busy
     * keep-alive connection would schedule and cancel one per request. It fires once per period at most and, when
     * a head is still open, re-arms itself for what is left of that head's time.
     */
    private void bytesArrived() {
        if (!inRequest && headStartedAt == 0 && ctx != null) {
            headStartedAt = System.nanoTime();
            ServerConfig server = settings.get();
            long header = server.headerTimeout().toNanos();
            long body = server.bodyTimeout().toNanos();
            if (header != headerTimeoutNanos || body != bodyTimeoutNanos) {
                // A reload changed them: a timer armed for the old, longer, period would fire too late.
                headerTimeoutNanos = header;
                bodyTimeoutNanos = body;
                cancelHeadTimer();
                cancelBodyTimer();
            }
            if (headTimer == null) {
                headTimer = ctx.executor().schedule(this::headDeadline, headerTimeoutNanos, TimeUnit.NANOSECONDS);
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            inRequest = !(msg instanceof LastHttpContent);
            headStartedAt = 0;
        }
        if (msg instanceof HttpContent) {
            bodyWaitSince = 0;
            if (msg instanceof LastHttpContent) {
                // The body timer is left to fire and find nothing to do, rather than cancelled per request.
                inRequest = false;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void read(ChannelHandlerContext ctx) {
        if (inRequest && bodyWaitSince == 0) {
            bodyWaitSince = System.nanoTime();
            if (bodyTimer == null) {
                bodyTimer = ctx.executor().schedule(this::bodyDeadline, bodyTimeoutNanos, TimeUnit.NANOSECONDS);
            }
        }
        ctx.read();
    }

    private void headDeadline() {
        headTimer = null;
        if (headStartedAt == 0 || !ctx.channel().isActive()) {
            return;
        }
        long waited = System.nanoTime() - headStartedAt;
        if (waited < headerTimeoutNanos) {
            headTimer = ctx.executor().schedule(this::headDeadline, headerTimeoutNanos - waited,
                    TimeUnit.NANOSECONDS);
            return;
        }
        LOG.debug("request head from {} not complete after {} ms", ctx.channel().remoteAddress(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - headStartedAt));
        FullHttpResponse response = GatewayResponses.error(ctx.alloc(), HttpResponseStatus.REQUEST_TIMEOUT,
                "Request header timeout");
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        // No request exists yet (the exchange left on the connection is the previous request's): written from the
        // tail, the finisher decorates it like any response, with a request ID of its own.
        Exchange.set(ctx.channel(), null);
        ctx.channel().writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private void bodyDeadline() {
        bodyTimer = null;
        if (!inRequest || bodyWaitSince == 0 || !ctx.channel().isActive()) {
            return;
        }
        long waited = System.nanoTime() - bodyWaitSince;
        if (waited < bodyTimeoutNanos) {
            bodyTimer = ctx.executor().schedule(this::bodyDeadline, bodyTimeoutNanos - waited, TimeUnit.NANOSECONDS);
            return;
        }
        inRequest = false;
        Exchange exchange = Exchange.of(ctx.channel());
        if (exchange != null) {
            exchange.failure("request body timeout");
        }
        ctx.fireUserEventTriggered(REQUEST_ABANDONED);
        if (exchange != null && exchange.status() == 0) {
            FullHttpResponse response = GatewayResponses.error(ctx.alloc(), HttpResponseStatus.REQUEST_TIMEOUT,
                    "Request body timeout");
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            // From the tail, so that the request ID, CORS headers and access log apply as to any response.
            ctx.channel().writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent idle && idle.state() == IdleState.WRITER_IDLE) {
            ChannelOutboundBuffer pending = ctx.channel().unsafe().outboundBuffer();
            if (pending != null && pending.totalPendingWriteBytes() > 0) {
                Exchange exchange = Exchange.of(ctx.channel());
                if (exchange != null) {
                    exchange.failure("client stopped reading the response");
                }
                ctx.close();
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        // The connection became a tunnel: no more request heads or bodies to time.
        cancelHeadTimer();
        cancelBodyTimer();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelHeadTimer();
        cancelBodyTimer();
        super.channelInactive(ctx);
    }

    private void cancelHeadTimer() {
        if (headTimer != null) {
            headTimer.cancel(false);
            headTimer = null;
        }
    }

    private void cancelBodyTimer() {
        if (bodyTimer != null) {
            bodyTimer.cancel(false);
            bodyTimer = null;
        }
    }
}
