package io.gatehouse.proxy;

import io.gatehouse.config.RetryConfig;
import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.GatewayResponses;
import io.gatehouse.metrics.TargetMetrics;
import io.gatehouse.routing.Route;
import io.gatehouse.upstream.Endpoint;
import io.gatehouse.upstream.Upstream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * One client request on its way to an upstream: it owns the attempts. It takes an endpoint from the balancer for
 * each {@link BackendAttempt}, reports each attempt's outcome to that endpoint's breaker, and when an attempt fails
 * before any of its response reached the client, decides whether another attempt may be made — the retry rules, the
 * attempt count and the upstream's retry budget — or answers the client itself (502, 504, or 503 when no target
 * can take the request). Confined to the client connection's event loop.
 */
final class UpstreamRequest {

    private static final AsciiString X_FORWARDED_FOR = AsciiString.cached("X-Forwarded-For");
    private static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("X-Forwarded-Proto");
    private static final AsciiString X_FORWARDED_HOST = AsciiString.cached("X-Forwarded-Host");
    private static final AsciiString HTTP = AsciiString.cached("http");
    private static final AsciiString HTTPS = AsciiString.cached("https");
    static final AsciiString X_CLIENT_NAME = AsciiString.cached("X-Client-Name");

    /** How an attempt failed before any of its response was relayed. */
    enum Failure {
        /** No connection could be made; nothing of the request left the gateway. */
        CONNECT_FAILURE,
        /** Connecting took longer than the connect timeout. */
        CONNECT_TIMEOUT,
        /** The connection ended or failed before a response head. */
        RESET,
        /** The backend was silent for the route's timeout. */
        TIMEOUT,
        /** The backend's response could not be relayed safely (malformed, ambiguous framing, a protocol switch). */
        BAD_RESPONSE
    }

    final ChannelHandlerContext client;
    final Exchange exchange;
    final HttpRequest request;
    /** The client's request had ended before the call began (no body): each attempt sends it as one message. */
    final boolean complete;
    final boolean expectContinue;
    final long timeoutNanos;
    final BackendTimer timer;
    /** How the client connection becomes a tunnel when a WebSocket upgrade succeeds. */
    final ClientSwitch clientSwitch;
    private final Route route;
    private final Upstream upstream;
    private final BackendPools pools;
    private final RetryConfig retries;
    private final boolean idempotent;
    /** The client's Host header, or null: each attempt sets the Host its target needs. */
    private final String clientHost;

    private BackendAttempt attempt;
    private int attempts;
    private boolean holdsRetrySlot;
    private boolean done;
    private boolean ended;
    /** Body bytes read from the client so far: once one went to a backend, no other attempt can send it. */
    private long clientBodyBytes;
    /** The client's request body ended (its last piece was read). */
    private boolean clientEnded;

    UpstreamRequest(ChannelHandlerContext client, String clientAddress, boolean secure, Exchange exchange,
                    HttpRequest request,
                    BackendPools pools, BackendTimer timer, boolean complete, ClientSwitch clientSwitch) {
        this.client = client;
        this.clientSwitch = clientSwitch;
        this.exchange = exchange;
        this.request = request;
        this.complete = complete;
        this.clientEnded = complete;
        this.timer = timer;
        this.pools = pools;
        this.route = exchange.route();
        this.upstream = exchange.upstream();
        if (upstream == null) {
            throw new IllegalStateException("no upstream filter ran for " + route);
        }
        this.retries = upstream.config().retries();
        this.idempotent = isIdempotent(request.method());
        this.expectContinue = HttpUtil.is100ContinueExpected(request);
        this.timeoutNanos = route.config().timeout().toNanos();
        this.clientHost = request.headers().get(HttpHeaderNames.HOST);
        prepare(clientAddress, secure);
    }

    boolean done() {
        return done;
    }

    /** Rewrites the client's request head, in place, into what every attempt sends; the target parts come later. */
    private void prepare(String clientAddress, boolean secure) {
        HttpHeaders headers = request.headers();
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
        // A key never reaches a backend, on open routes too, and a client never chooses the name the backend trusts.
        headers.remove(exchange.config().config().auth().header());
        headers.remove(X_CLIENT_NAME);
        if (exchange.client() != null) {
            headers.set(X_CLIENT_NAME, exchange.client().name());
        }
        if (clientAddress != null) {
            if (headers.contains(X_FORWARDED_FOR)) {
                headers.set(X_FORWARDED_FOR, String.join(", ", headers.getAll(X_FORWARDED_FOR)) + ", "
                        + clientAddress);
            } else {
                headers.set(X_FORWARDED_FOR, clientAddress);
            }
        }
        headers.set(X_FORWARDED_PROTO, secure ? HTTPS : HTTP);
        if (clientHost != null) {
            headers.set(X_FORWARDED_HOST, clientHost);
        } else {
            headers.remove(X_FORWARDED_HOST);
        }
        if (HttpUtil.isTransferEncodingChunked(request)) {
            headers.remove(HttpHeaderNames.CONTENT_LENGTH);
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (exchange.websocketUpgrade()) {
            // The client's upgrade headers went as hop-by-hop; the upgrade itself is asked for again, hop to hop.
            headers.set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        }
    }

    /** Points the request head at {@code endpoint}: its base path and, unless the route keeps it, its Host. */
    void target(Endpoint endpoint) {
        request.setUri(route.backendUri(exchange.path(), exchange.rawQuery(), endpoint.url()));
        if (!route.config().preserveHost() || clientHost == null) {
            request.headers().set(HttpHeaderNames.HOST, endpoint.address().hostHeader());
        }
    }

    static String peerAddress(SocketAddress address) {
        if (address instanceof InetSocketAddress inet && inet.getAddress() != null) {
            return inet.getAddress().getHostAddress();
        }
        return null;
    }

    void start() {
        upstream.requestStarted();
        long now = upstream.now();
        Endpoint first = exchange.endpoint();
        Upstream.Lease lease = first != null ? upstream.acquire(first, now) : null;
        if (lease == null) {
            lease = choose(null, now);
        }
        if (lease == null) {
            unavailable();
            return;
        }
        startAttempt(lease);
    }

    /** An endpoint taken for an attempt, trying the balancer's picks until one takes it; null when none does. */
    private Upstream.Lease choose(Endpoint avoid, long now) {
        for (int i = 0, n = upstream.endpoints().size() + 1; i < n; i++) {
            Endpoint endpoint = upstream.choose(avoid, now);
            if (endpoint == null) {
                return null;
            }
            Upstream.Lease lease = upstream.acquire(endpoint, now);
            if (lease != null) {
                return lease;
            }
        }
        return null;
    }

    private void startAttempt(Upstream.Lease lease) {
        attempts++;
        exchange.backend(lease.endpoint().address().toString());
        attempt = new BackendAttempt(this, lease, pools.pool(client.channel().eventLoop(), lease.endpoint().address()));
        attempt.start();
    }

    /** No target can take the request: every one is unhealthy, open or full. */
    private void unavailable() {
        Answer answer = Answer.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "Service unavailable")
                .withHeader(HttpHeaderNames.RETRY_AFTER, upstream.retryAfterSeconds(upstream.now()));
        finish();
        exchange.failure("no target of upstream " + upstream.name() + " available");
        if (client.channel().isActive()) {
            client.writeAndFlush(GatewayResponses.of(client.alloc(), answer, false));
        }
    }

    // From the client.

    void onClientContent(HttpContent content) {
        clientBodyBytes += content.content().readableBytes();
        if (content instanceof LastHttpContent) {
            clientEnded = true;
        }
        if (attempt != null && !done) {
            attempt.onClientContent(content);
        } else {
            content.release();
        }
    }

    boolean clientEnded() {
        return clientEnded;
    }

    void onClientWritabilityChanged() {
        if (attempt != null && !done) {
            attempt.onClientWritabilityChanged();
        }
    }

    /** The gateway gave up on the request and answers the client itself: the attempt is dropped. */
    void abandon() {
        if (done) {
            return;
        }
        finish();
        if (attempt != null) {
            attempt.cancel();
        }
    }

    void onClientClosed() {
        if (done) {
            return;
        }
        finish();
        exchange.failure("client closed the connection");
        if (attempt != null) {
            attempt.cancel();
        }
    }

    // From the current attempt.

    /**
     * A response head arrived: returns true to relay it, false when the request goes to another attempt instead
     * (the status is one to retry on, the request can be sent again, and the budget and a target allow it).
     */
    boolean onResponseHead(BackendAttempt from, int status) {
        Upstream.Lease lease = from.lease();
        long headNanos = System.nanoTime() - from.startNanos();
        exchange.backendNanos(headNanos);
        TargetMetrics metrics = exchange.config().targetMetrics(lease.endpoint());
        if (metrics != null) {
            metrics.response(headNanos);
        }
        boolean failure = upstream.config().circuitBreaker().isFailure(status);
        long now = upstream.now();
        if (failure) {
            lease.failed(now);
        } else {
            lease.succeeded();
        }
        if (retries.onStatuses().contains(status) && idempotent && clientBodyBytes == 0 && clientEnded
                && attempts <= retries.attempts()) {
            Upstream.Lease next = retryLease(lease.endpoint(), now);
            if (next != null) {
                from.discard();
                startAttempt(next);
                return false;
            }
        }
        return true;
    }

    /** The attempt failed before any of its response was relayed: try again where the rules allow, else answer. */
    void onAttemptFailed(BackendAttempt from, Failure failure, String reason) {
        TargetMetrics metrics = exchange.config().targetMetrics(from.lease().endpoint());
        if (metrics != null) {
            metrics.failed(switch (failure) {
                case CONNECT_FAILURE, CONNECT_TIMEOUT -> TargetMetrics.Outcome.CONNECT_FAILURE;
                case RESET -> TargetMetrics.Outcome.RESET;
                case TIMEOUT -> TargetMetrics.Outcome.TIMEOUT;
                case BAD_RESPONSE -> TargetMetrics.Outcome.BAD_RESPONSE;
            });
        }
        long now = upstream.now();
        from.lease().failed(now);
        if (mayRetry(from, failure)) {
            Upstream.Lease next = retryLease(from.lease().endpoint(), now);
            if (next != null) {
                startAttempt(next);
                return;
            }
        }
        finish();
        exchange.failure(reason);
        HttpResponseStatus status = failure == Failure.CONNECT_TIMEOUT || failure == Failure.TIMEOUT
                ? HttpResponseStatus.GATEWAY_TIMEOUT : HttpResponseStatus.BAD_GATEWAY;
        String message = switch (failure) {
            case CONNECT_TIMEOUT, TIMEOUT -> "Upstream timeout";
            case CONNECT_FAILURE, RESET -> "Service unavailable";
            case BAD_RESPONSE -> "Bad gateway";
        };
        if (client.channel().isActive()) {
            client.writeAndFlush(GatewayResponses.error(client.alloc(), status, message));
        }
    }

    private boolean mayRetry(BackendAttempt from, Failure failure) {
        if (attempts > retries.attempts() || clientBodyBytes > 0) {
            return false;
        }
        boolean resendable = complete || (clientEnded && clientBodyBytes == 0) || !from.headWritten();
        return switch (failure) {
            // Nothing left the gateway: any method may go again.
            case CONNECT_FAILURE, CONNECT_TIMEOUT -> retries.on().contains(RetryConfig.Outcome.CONNECT_FAILURE);
            case RESET -> retries.on().contains(RetryConfig.Outcome.RESET) && resendable
                    && (idempotent || !from.headWritten());
            case TIMEOUT -> retries.on().contains(RetryConfig.Outcome.TIMEOUT) && resendable && idempotent;
            case BAD_RESPONSE -> false;
        };
    }

    /** A place in the retry budget and an endpoint (another one when there is one); null when either is lacking. */
    private Upstream.Lease retryLease(Endpoint failed, long now) {
        releaseRetrySlot();
        if (!upstream.tryStartRetry()) {
            return null;
        }
        Upstream.Lease next = choose(failed, now);
        if (next == null) {
            upstream.retryEnded();
            return null;
        }
        holdsRetrySlot = true;
        return next;
    }

    private void releaseRetrySlot() {
        if (holdsRetrySlot) {
            holdsRetrySlot = false;
            upstream.retryEnded();
        }
    }

    /** The response reached the client to its end, or the request was aborted mid-response. */
    void onAttemptDone() {
        finish();
    }

    /** The request is over: no more attempts, and its place in the upstream's counts is given back. */
    private void finish() {
        done = true;
        if (!ended) {
            ended = true;
            releaseRetrySlot();
            upstream.requestEnded();
        }
    }

    private static boolean isIdempotent(HttpMethod method) {
        return HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method) || HttpMethod.PUT.equals(method)
                || HttpMethod.DELETE.equals(method) || HttpMethod.OPTIONS.equals(method)
                || HttpMethod.TRACE.equals(method);
    }

    static boolean idempotent(HttpMethod method) {
        return isIdempotent(method);
    }
}
