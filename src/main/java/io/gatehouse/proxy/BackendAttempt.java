package io.gatehouse.proxy;

import io.gatehouse.exchange.Exchange;
import io.gatehouse.upstream.Upstream;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.DecoderResult;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


/**
 * One attempt of an {@link UpstreamRequest} on one backend connection, and its response relayed back. Both channels
 * share an event loop. Bodies stream with read-after-write pacing: the next client chunk is read only when the last
 * one reached the backend socket, and the next backend chunk only when the last one reached the client socket, so a
 * slow side slows the other and nothing is buffered. The backend connection returns to its pool only when the
 * request was fully written, the response fully read and neither side asked to close; otherwise it is closed.
 * <p>
 * A pooled connection that turns out to be closed is replaced once by a fresh one to the same target within the
 * attempt (that is not a retry). Every other failure before the response began goes to the request, which decides
 * whether another attempt follows.
 */
final class BackendAttempt {

    private static final Logger LOG = LoggerFactory.getLogger(BackendAttempt.class);

    private final UpstreamRequest owner;
    private final ChannelHandlerContext client;
    private final Exchange exchange;
    private final HttpRequest request;
    private final Upstream.Lease lease;
    private final BackendPool pool;
    private final boolean expectContinue;
    private final long timeoutNanos;
    /** The client's request had ended before the call began (no body): it goes to the backend as one message. */
    private final boolean complete;
    /** A WebSocket upgrade: a connection of its own, never pooled, and a 101 opens the tunnel. */
    private final boolean websocket;

    private Channel backend;
    private boolean reused;
    private boolean retried;
    private boolean headWritten;
    private boolean requestSent;
    private long requestBodyBytes;
    private boolean responseStarted;
    private boolean interim;
    private boolean reusable;
    private boolean done;
    /** The client connection's timer for the backend timeout; {@code watched} while it watches this attempt. */
    private final BackendTimer timer;
    private boolean watched;
    /** When the backend last made progress, or when we last started waiting on it; see {@link #checkTimeout}. */
    private long lastBackendActivity;
    private boolean backendWritePending;
    private boolean clientWritePending;
    private boolean continueRelayed;
    /** The response head was written but not flushed yet: the next write (or the end of onResponseHead) flushes. */
    private boolean headUnflushed;
    /** A piece of the request body that arrived while the connection was being replaced; written after the head. */
    private HttpContent heldContent;

    /** When the attempt began, for the time to its response head. */
    private final long startNanos = System.nanoTime();

    BackendAttempt(UpstreamRequest owner, Upstream.Lease lease, BackendPool pool) {
        this.owner = owner;
        this.client = owner.client;
        this.exchange = owner.exchange;
        this.request = owner.request;
        this.complete = owner.complete;
        this.timer = owner.timer;
        this.expectContinue = owner.expectContinue;
        this.timeoutNanos = owner.timeoutNanos;
        this.lease = lease;
        this.pool = pool;
        this.websocket = exchange.websocketUpgrade();
        this.reusable = !websocket;
        // An earlier attempt already read the client's (empty) body to its end: this one sends the end itself.
        this.requestSent = !complete && owner.clientEnded();
        owner.target(lease.endpoint());
    }

    long startNanos() {
        return startNanos;
    }

    Upstream.Lease lease() {
        return lease;
    }

    boolean headWritten() {
        return headWritten;
    }

    boolean done() {
        return done;
    }

    void start() {
        // An upgraded connection never comes back to the pool, so an upgrade never takes one from it either.
        Channel pooled = websocket ? null : pool.poll();
        if (pooled != null) {
            attach(pooled, true);
        } else {
            connect();
        }
    }

    private void connect() {
        pool.connect().addListener((ChannelFutureListener) this::connected);
    }

    private void connected(ChannelFuture future) {
        if (done) {
            if (future.isSuccess()) {
                if (websocket) {
                    future.channel().close();
                } else {
                    pool.release(future.channel());
                }
            }
            return;
        }
        if (!future.isSuccess()) {
            Throwable cause = future.cause();
            LOG.debug("connect to {} failed: {}", pool.address(), cause.toString());
            if (cause instanceof BackendPool.BackendTlsException tls) {
                pool.warnTlsFailure(tls);
                fail(UpstreamRequest.Failure.CONNECT_FAILURE, "backend TLS handshake failed");
            } else if (cause instanceof ConnectTimeoutException) {
                fail(UpstreamRequest.Failure.CONNECT_TIMEOUT, "backend connect timeout");
            } else {
                fail(UpstreamRequest.Failure.CONNECT_FAILURE, "backend connect failed");
            }
            return;
        }
        attach(future.channel(), false);
    }

    private void attach(Channel channel, boolean pooled) {
        backend = channel;
        reused = pooled;
        BackendHandler.of(channel).attach(this);
        channel.pipeline().get(BackendCodec.class).expectResponseTo(request.method());
        backendWritePending = true;
        if (complete) {
            // Head and end in one message: one encoded buffer, one write, one flush.
            requestSent = true;
        }
        startTimer();
        Object head = complete
                ? new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(),
                        Unpooled.EMPTY_BUFFER, request.headers(), EmptyHttpHeaders.INSTANCE)
                : request;
        backend.writeAndFlush(head).addListener((ChannelFutureListener) f -> {
            if (done || f.channel() != backend) {
                return;
            }
            if (!f.isSuccess()) {
                onBackendFailure(f.cause());
                return;
            }
            headWritten = true;
            backendWritePending = false;
            lastBackendActivity = System.nanoTime();
            backend.read();
            if (complete) {
                return;
            }
            HttpContent held = heldContent;
            if (held != null) {
                heldContent = null;
                writeToBackend(held);
            } else if (requestSent) {
                // A retry after the client's request had already ended (an empty body): send its end again.
                writeToBackend(LastHttpContent.EMPTY_LAST_CONTENT);
            } else {
                client.read();
            }
        });
    }

    /** The next piece of the client's request body. */
    void onClientContent(HttpContent content) {
        if (done || responseStarted || complete) {
            // Answered already (or an early response): the rest of the request goes nowhere.
            content.release();
            return;
        }
        requestBodyBytes += content.content().readableBytes();
        if (backend == null) {
            // A retry is reconnecting; reads are paced, so this is the only piece that can arrive meanwhile.
            ReferenceCountUtil.release(heldContent);
            heldContent = content;
            return;
        }
        writeToBackend(content);
    }

    private void writeToBackend(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (last) {
            requestSent = true;
            startTimer();
        }
        // No listener per piece: a failed write reaches the backend handler as an exception (then a close), and
        // the next piece is read while the backend socket takes more, or once it does again.
        backend.writeAndFlush(content, backend.voidPromise());
        lastBackendActivity = System.nanoTime();
        if (!last) {
            if (backend.isWritable()) {
                client.read();
            } else {
                backendWritePending = true;
            }
        }
    }

    /** The backend connection's writability changed: read the next piece of the request body if it may go. */
    void onBackendWritabilityChanged() {
        if (backendWritePending && !done && backend != null && backend.isWritable()) {
            backendWritePending = false;
            lastBackendActivity = System.nanoTime();
            client.read();
        }
    }

    /** A message decoded from the backend connection. */
    void onBackendMessage(Object msg) {
        if (done || !(msg instanceof HttpObject object)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        lastBackendActivity = System.nanoTime();
        DecoderResult result = object.decoderResult();
        if (result.isFailure()) {
            ReferenceCountUtil.release(msg);
            reusable = false;
            LOG.debug("malformed response from {}: {}", pool.address(), result.cause().toString());
            if (!responseStarted) {
                fail(UpstreamRequest.Failure.BAD_RESPONSE, "malformed backend response");
            } else {
                abort("malformed backend response");
            }
            return;
        }
        if (msg instanceof HttpResponse response) {
            onResponseHead(response);
        } else if (msg instanceof HttpContent content) {
            onResponseContent(content);
        } else {
            ReferenceCountUtil.release(msg);
            backend.read();
        }
    }

    private void onResponseHead(HttpResponse response) {
        int code = response.status().code();
        if (code < 200) {
            interim = true;
            if (code == 101) {
                reusable = false;
                if (websocket && requestSent) {
                    switchProtocols(response);
                } else {
                    fail(UpstreamRequest.Failure.BAD_RESPONSE, "unexpected protocol switch");
                }
                return;
            }
            if (code == 100 && expectContinue && !requestSent) {
                continueRelayed = true;
                client.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                        client.alloc().buffer(0)));
            }
            backend.read();
            return;
        }
        String framingProblem = framingProblem(response);
        if (framingProblem != null) {
            reusable = false;
            LOG.debug("response from {} refused: {}", pool.address(), framingProblem);
            fail(UpstreamRequest.Failure.BAD_RESPONSE, "backend response " + framingProblem);
            return;
        }
        if (!owner.onResponseHead(this, code)) {
            // Another attempt takes over (this one was discarded): the response goes nowhere.
            ReferenceCountUtil.release(response);
            return;
        }
        responseStarted = true;
        if (!requestSent || !HttpUtil.isKeepAlive(response)) {
            // An early answer leaves the request half-sent: that connection cannot carry another request.
            reusable = false;
        }
        HopByHopHeaders.strip(response.headers());
        frameForClient(response);
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        // The head is small and the body usually follows in the same socket read: write the head unflushed and
        // let the body's write flush both, so a small response leaves in one system call. If this read held no
        // more, the end of the read (onBackendReadComplete) flushes the head on its own.
        headUnflushed = true;
        // A failed write reaches the exchange handler as an exception and closes the client connection.
        client.write(response, client.voidPromise());
        backend.read();
    }

    /**
     * The backend accepted the WebSocket upgrade: the attempt is over (a success for the target's breaker) and the
     * connection leaves the HTTP proxy for a {@link WebSocketTunnel}.
     */
    private void switchProtocols(HttpResponse response) {
        if (!owner.onResponseHead(this, response.status().code())) {
            return;
        }
        responseStarted = true;
        done = true;
        cancelTimer();
        Channel channel = backend;
        BackendHandler.of(channel).detach();
        owner.onAttemptDone();
        WebSocketTunnel.open(client, channel, response, exchange, owner.clientSwitch,
                owner.exchange.route().config().websocket().idleTimeout());
    }

    /** The backend connection's socket read is over: whatever it decoded has been handed on. */
    void onBackendReadComplete() {
        if (headUnflushed) {
            headUnflushed = false;
            client.flush();
        }
    }

    private void onResponseContent(HttpContent content) {
        if (interim) {
            if (content instanceof LastHttpContent) {
                interim = false;
            }
            content.release();
            backend.read();
            return;
        }
        if (!responseStarted) {
            content.release();
            reusable = false;
            fail(UpstreamRequest.Failure.BAD_RESPONSE, "malformed backend response");
            return;
        }
        boolean last = content instanceof LastHttpContent;
        if (last) {
            finish();
        }
        headUnflushed = false;
        // Read pacing on writability, not a listener per write: the next backend piece is read while the client
        // socket takes more (below the high water mark), or once it drains to the low one. A failed write reaches
        // the exchange handler as an exception and closes the client connection.
        client.writeAndFlush(content, client.voidPromise());
        if (!last) {
            if (client.channel().isWritable()) {
                lastBackendActivity = System.nanoTime();
                backend.read();
            } else {
                clientWritePending = true;
            }
        }
    }

    /** The client connection's writability changed: read the next backend piece if the client takes it. */
    void onClientWritabilityChanged() {
        if (clientWritePending && !done && client.channel().isWritable()) {
            clientWritePending = false;
            // The client took what was waiting; from now on a silent backend is the backend's fault.
            lastBackendActivity = System.nanoTime();
            backend.read();
        }
    }

    /** Why a response head's framing is ambiguous, or null: such a response is never relayed. */
    private static String framingProblem(HttpResponse response) {
        if (response.status().code() > 599) {
            return "has an invalid status " + response.status().code();
        }
        HttpHeaders headers = response.headers();
        var codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        var lengths = headers.getAll(HttpHeaderNames.CONTENT_LENGTH);
        if (!codings.isEmpty() && !lengths.isEmpty()) {
            return "has both Content-Length and Transfer-Encoding";
        }
        if (codings.size() > 1 || (codings.size() == 1 && !"chunked".equalsIgnoreCase(codings.get(0).trim()))) {
            return "has a Transfer-Encoding other than chunked";
        }
        if (lengths.size() > 1) {
            return "has more than one Content-Length";
        }
        return null;
    }

    /**
     * Sets the framing of a response for the client: HEAD, 204 and 304 have no body; a body of unknown length
     * (the backend closes to end it) is re-framed as chunked for HTTP/1.1 clients, or delimited by closing the
     * connection for HTTP/1.0 clients, which cannot read chunks.
     */
    private void frameForClient(HttpResponse response) {
        HttpHeaders headers = response.headers();
        int code = response.status().code();
        if (code == 204 || code == 304 || HttpMethod.HEAD.equals(exchange.method())) {
            return;
        }
        boolean chunked = HttpUtil.isTransferEncodingChunked(response);
        if (chunked) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            headers.remove(HttpHeaderNames.CONTENT_LENGTH);
        }
        boolean delimited = chunked || headers.contains(HttpHeaderNames.CONTENT_LENGTH);
        if (exchange.clientHttp10()) {
            if (!headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
                headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            }
        } else if (!delimited) {
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
    }

    /** The backend connection closed. */
    void onBackendClosed() {
        backendLost("backend closed the connection");
    }

    void onBackendFailure(Throwable cause) {
        if (done) {
            return;
        }
        if (cause instanceof Error) {
            // Out of (direct) memory and the like are the gateway's failures, not the backend's: say so loudly.
            LOG.error("forwarding to {} failed inside the gateway", pool.address(), cause);
        } else {
            LOG.debug("backend {} failed: {}", pool.address(), cause.toString());
        }
        backendLost("backend connection failed");
    }

    /**
     * The backend connection is gone: a stale pooled one is replaced when that is safe; before the response began
     * the request decides what follows; after, the client connection is aborted.
     */
    private void backendLost(String reason) {
        if (done) {
            return;
        }
        reusable = false;
        if (canReplaceConnection()) {
            replaceConnection();
        } else if (!responseStarted) {
            fail(UpstreamRequest.Failure.RESET, reason);
        } else {
            abort(reason + " mid-response");
        }
    }

    /**
     * A pooled connection may have been closed by the backend just as we reused it. Try once more on a fresh one
     * when nothing of the request can have been processed: the head never went out, or the method is idempotent
     * and no body byte was sent.
     */
    private boolean canReplaceConnection() {
        return reused && !retried && !responseStarted && !interim && requestBodyBytes == 0
                && (!headWritten || UpstreamRequest.idempotent(request.method()));
    }

    private void replaceConnection() {
        retried = true;
        Channel stale = backend;
        backend = null;
        headWritten = false;
        backendWritePending = false;
        detachAndClose(stale);
        cancelTimer();
        connect();
    }

    private void startTimer() {
        lastBackendActivity = System.nanoTime();
        if (!watched) {
            watched = true;
            timer.watch(this, timeoutNanos);
        }
    }

    /**
     * The response timeout measures the backend's silence only: the time since it last took request bytes or sent
     * response bytes while the gateway was waiting on it. Time spent waiting on the client (its request body still
     * coming, or a slow reader holding the response back) does not count; a client that stalls is not the
     * backend's fault.
     */
    void checkTimeout() {
        watched = false;
        if (done) {
            return;
        }
        if (waitingOnClient()) {
            watched = true;
            timer.watch(this, timeoutNanos);
            return;
        }
        long idle = System.nanoTime() - lastBackendActivity;
        if (idle < timeoutNanos) {
            watched = true;
            timer.watch(this, timeoutNanos - idle);
            return;
        }
        reusable = false;
        if (!responseStarted) {
            fail(UpstreamRequest.Failure.TIMEOUT, "backend response timeout");
        } else {
            abort("backend response stalled");
        }
    }

    private boolean waitingOnClient() {
        if (clientWritePending) {
            return true;
        }
        if (responseStarted || requestSent || backendWritePending || interim) {
            return false;
        }
        // The request body is still to come from the client, unless the client waits for a 100 the backend owes.
        return !(expectContinue && requestBodyBytes == 0 && !continueRelayed);
    }

    private void cancelTimer() {
        if (watched) {
            watched = false;
            timer.release(this);
        }
    }

    /** The response was read to its end: give the backend connection back, or close it. */
    private void finish() {
        done = true;
        cancelTimer();
        Channel channel = backend;
        BackendHandler.of(channel).detach();
        boolean strayBytes = channel.pipeline().get(BackendCodec.class).hasUndecodedBytes();
        if (reusable && requestSent && !interim && !strayBytes) {
            pool.release(channel);
        } else {
            channel.close();
        }
        owner.onAttemptDone();
    }

    /** The attempt failed before any of its response was relayed: its request decides what follows. */
    private void fail(UpstreamRequest.Failure failure, String reason) {
        done = true;
        cancelTimer();
        releaseHeld();
        detachAndClose(backend);
        backend = null;
        owner.onAttemptFailed(this, failure, reason);
    }

    /** Ends the client connection without a clean end of message: the response cannot be completed. */
    private void abort(String reason) {
        done = true;
        cancelTimer();
        releaseHeld();
        exchange.failure(reason);
        detachAndClose(backend);
        backend = null;
        client.close();
        owner.onAttemptDone();
    }

    /** The request moves on to another attempt: this one's response is dropped with its connection. */
    void discard() {
        done = true;
        reusable = false;
        cancelTimer();
        releaseHeld();
        detachAndClose(backend);
        backend = null;
    }

    /** The request ended without an outcome (the gateway gave up, or the client went away). */
    void cancel() {
        if (done) {
            return;
        }
        done = true;
        cancelTimer();
        releaseHeld();
        detachAndClose(backend);
        backend = null;
        lease.cancelled();
    }

    private void releaseHeld() {
        if (heldContent != null) {
            heldContent.release();
            heldContent = null;
        }
    }

    private static void detachAndClose(Channel channel) {
        if (channel != null) {
            BackendHandler handler = BackendHandler.of(channel);
            if (handler != null) {
                handler.detach();
            }
            channel.close();
        }
    }
}
