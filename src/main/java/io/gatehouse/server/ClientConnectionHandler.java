package io.gatehouse.server;

import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.RuntimeConfig;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Owns a client connection's request/response cycle, first after the codec. It starts an {@link Exchange} (with a
 * snapshot of the config) for each request head, reads the next request only when the current request and its
 * response are both complete (so pipelined requests are answered one at a time, in order), and decides keep-alive:
 * {@code Connection: close}, HTTP/1.0 without keep-alive and a draining server close after the response.
 * <p>
 * When a final response starts before its request has been read to the end (an early answer: 401, 404, 429, or a
 * backend that answered early), the rest of the request body is read and discarded here, up to a limit; past it,
 * or when the client is waiting for {@code 100 Continue}, the connection is closed after the response instead.
 */
public final class ClientConnectionHandler extends ChannelDuplexHandler {

    /** How much unread request body an early answer may skip to keep the connection; beyond it, close. */
    static final long DISCARD_LIMIT = 256 * 1024;
    /** How long a connection we close keeps draining what the client still sends. */
    static final long LINGER_MILLIS = 2000;

    private final Supplier<RuntimeConfig> config;
    private final BooleanSupplier draining;

    private boolean requestInProgress;
    private boolean responseInProgress;
    private boolean interimResponse;
    private boolean expectContinue;
    private boolean closeAfterResponse;
    private boolean discarding;
    private long discarded;
    private int requests;
    private boolean lingering;
    /** The server settings this connection's idle handler was made with; null until the first request. */
    private io.gatehouse.config.ServerConfig idleSettings;

    public ClientConnectionHandler(Supplier<RuntimeConfig> config, BooleanSupplier draining) {
        this.config = config;
        this.draining = draining;
    }

    /** No request or response is in progress on this connection: it may be closed without losing anything. */
    public boolean idle() {
        return !requestInProgress && !responseInProgress;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.read();
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (lingering) {
            ReferenceCountUtil.release(msg);
            ctx.read();
            return;
        }
        if (msg instanceof HttpRequest request) {
            if (!idle()) {
                ReferenceCountUtil.release(msg);
                ctx.close();
                return;
            }
            requestInProgress = !(msg instanceof LastHttpContent);
            responseInProgress = true;
            interimResponse = false;
            discarding = false;
            discarded = 0;
            expectContinue = HttpUtil.is100ContinueExpected(request);
            RuntimeConfig current = config.get();
            followIdleSettings(ctx, current.config().server());
            int maxRequests = current.config().server().maxRequestsPerConnection();
            requests++;
            closeAfterResponse = !HttpUtil.isKeepAlive(request) || draining.getAsBoolean()
                    || (maxRequests > 0 && requests >= maxRequests);
            Exchange exchange = new Exchange(current, request, System.nanoTime());
            if (ctx.channel().remoteAddress() instanceof InetSocketAddress peer) {
                exchange.peer(peer.getAddress());
            }
            Exchange.set(ctx.channel(), exchange);
            ctx.fireChannelRead(msg);
            return;
        }
        if (msg instanceof HttpContent content) {
            boolean last = content instanceof LastHttpContent;
            if (discarding || !requestInProgress) {
                discarded += content.content().readableBytes();
                content.release();
                if (last) {
                    requestInProgress = false;
                    discarding = false;
                    readNextIfIdle(ctx);
                } else if (discarded > DISCARD_LIMIT) {
                    ctx.close();
                } else {
                    ctx.read();
                }
                return;
            }
            if (last) {
                requestInProgress = false;
            }
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpResponse response) {
            int code = response.status().code();
            if (code < 200) {
                interimResponse = true;
                if (code == 100) {
                    expectContinue = false;
                }
            } else {
                onFinalHead(ctx, response);
            }
        }
        if (msg instanceof LastHttpContent) {
            if (interimResponse) {
                interimResponse = false;
            } else {
                promise = promise.unvoid();
                promise.addListener((ChannelFutureListener) f -> responseWritten(ctx, f.isSuccess()));
            }
        }
        ctx.write(msg, promise);
    }

    /**
     * A reload that changed {@code idle_timeout} or {@code write_timeout} reaches an open connection at its next
     * request: its idle handler is replaced (a request is arriving, so restarting its clocks loses nothing).
     */
    private void followIdleSettings(ChannelHandlerContext ctx, io.gatehouse.config.ServerConfig server) {
        if (server == idleSettings) {
            return; // the same snapshot's settings as the last request: nothing to compare
        }
        idleSettings = server;
        if (ctx.pipeline().get(ClientChannelInitializer.IDLE) instanceof IdleStateHandler idle
                && (idle.getWriterIdleTimeInMillis() != server.writeTimeout().toMillis()
                || idle.getAllIdleTimeInMillis() != server.idleTimeout().toMillis())) {
            ctx.pipeline().replace(ClientChannelInitializer.IDLE, ClientChannelInitializer.IDLE,
                    ClientChannelInitializer.idleHandler(server));
        }
    }

    private void onFinalHead(ChannelHandlerContext ctx, HttpResponse response) {
        if (!HttpUtil.isKeepAlive(response) || draining.getAsBoolean()) {
            closeAfterResponse = true;
        }
        if (requestInProgress) {
            if (expectContinue || declaredBodyOver(ctx)) {
                closeAfterResponse = true;
            } else {
                discarding = true;
                ctx.read();
            }
        }
        HttpHeaders headers = response.headers();
        if (closeAfterResponse) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else {
            Exchange exchange = Exchange.of(ctx.channel());
            if (exchange != null && exchange.clientHttp10()) {
                headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            } else {
                headers.remove(HttpHeaderNames.CONNECTION);
            }
        }
    }

    private boolean declaredBodyOver(ChannelHandlerContext ctx) {
        Exchange exchange = Exchange.of(ctx.channel());
        return exchange != null && exchange.declaredLength() > DISCARD_LIMIT;
    }

    private void responseWritten(ChannelHandlerContext ctx, boolean success) {
        responseInProgress = false;
        if (!success) {
            ctx.close();
        } else if (closeAfterResponse) {
            closeAfterLingering(ctx);
        } else {
            readNextIfIdle(ctx);
        }
    }

    /**
     * Closing a socket that still has unread input (pipelined requests we will not answer) makes the kernel send
     * a reset, which can destroy the last response before the client has read it. So: shut our side, read and
     * drop whatever still arrives until the client closes too, for {@link #LINGER_MILLIS} at most, then close.
     */
    private void closeAfterLingering(ChannelHandlerContext ctx) {
        if (!(ctx.channel() instanceof DuplexChannel duplex) || !ctx.channel().isActive()) {
            ctx.close();
            return;
        }
        lingering = true;
        duplex.shutdownOutput().addListener(f -> {
            if (!f.isSuccess()) {
                ctx.close();
                return;
            }
            ctx.executor().schedule(() -> {
                ctx.close();
            }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
            ctx.read();
        });
    }

    private void readNextIfIdle(ChannelHandlerContext ctx) {
        if (idle()) {
            ctx.read();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent idleEvent && idleEvent.state() == IdleState.ALL_IDLE) {
            // Keep-alive idle timeout. A request waiting on a slow backend is the backend timeout's business.
            if (idle()) {
                ctx.close();
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }
}
