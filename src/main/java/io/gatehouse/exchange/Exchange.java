package io.gatehouse.exchange;

import io.gatehouse.auth.ApiClient;
import io.gatehouse.cache.CacheFill;
import io.gatehouse.ratelimit.RateLimitResult;
import io.gatehouse.routing.Route;
import io.gatehouse.upstream.Endpoint;
import io.gatehouse.upstream.Upstream;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import io.netty.util.AttributeKey;

import java.net.InetAddress;

/**
 * One request and its response: what the filters look at (method, path, headers, route, client) and what they
 * decide along the way (the client, the rate-limit decision, the body limit), then what the finisher and the access
 * log need at the end (request ID, status, backend, failure). Created by the connection handler when a request head
 * arrives, with the config snapshot that is current then; the request keeps that snapshot to its end. One at a time
 * per connection, touched only on that connection's event loop, so it needs no synchronisation.
 */
public final class Exchange {

    private static final AttributeKey<Exchange> KEY = AttributeKey.valueOf(Exchange.class, "exchange");

    private final RuntimeConfig config;
    private final long startNanos;
    private final HttpRequest request;
    private final HttpMethod method;
    private final String rawUri;
    private final boolean clientHttp10;
    private final String origin;
    private final long declaredLength;
    private final boolean h2cUpgrade;
    private final boolean websocketUpgrade;
    private final int headerCount;
    private final AsciiString requestId;

    private String path;
    private String rawQuery;
    private Route route;
    private ApiClient client;
    private RateLimitResult rateLimit;
    private InetAddress peer;
    private InetAddress clientIp;
    private long maxBody;
    private Upstream upstream;
    private Endpoint endpoint;
    private String backend;
    private int attempts;
    private int status;
    private String failure;
    private boolean logged;
    private boolean tunnelled;
    // For metrics, the JSON access log and trace context.
    private String authFailure;
    private String traceId;
    private String lastTarget;
    private long backendNanos = -1;
    private long bytesIn;
    private long bytesOut;
    private CacheFill cacheFill;

    public Exchange(RuntimeConfig config, HttpRequest request, long startNanos) {
        this.config = config;
        this.startNanos = startNanos;
        this.request = request;
        this.method = request.method();
        this.rawUri = request.uri();
        this.clientHttp10 = !request.protocolVersion().isKeepAliveDefault();
        this.origin = request.headers().get(HttpHeaderNames.ORIGIN);
        this.declaredLength = declaredLength(request);
        // Most requests have no Upgrade header: one look for it, the value scans only when there is one.
        boolean upgrade = request.headers().contains(HttpHeaderNames.UPGRADE);
        this.h2cUpgrade = upgrade && request.headers().containsValue(HttpHeaderNames.UPGRADE, "h2c", true);
        this.websocketUpgrade = upgrade
                && request.headers().containsValue(HttpHeaderNames.UPGRADE, "websocket", true)
                && request.headers().containsValue(HttpHeaderNames.CONNECTION, "upgrade", true);
        this.headerCount = request.headers().size();
        this.requestId = RequestIds.next();
    }

    private static long declaredLength(HttpRequest request) {
        if (HttpUtil.isTransferEncodingChunked(request)) {
            return Long.MAX_VALUE;
        }
        try {
            return HttpUtil.getContentLength(request, 0L);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    public static Exchange of(Channel channel) {
        return channel.attr(KEY).get();
    }

    public static void set(Channel channel, Exchange exchange) {
        channel.attr(KEY).set(exchange);
    }

    public RuntimeConfig config() { return config; }
    public long startNanos() { return startNanos; }
    public HttpMethod method() { return method; }
    /** The request target as the client sent it. */
    public String rawUri() { return rawUri; }
    public HttpVersion version() { return request.protocolVersion(); }
    /** The request's headers; filters may change them, and the backend receives what is left. */
    public HttpHeaders requestHeaders() { return request.headers(); }
    /** Why the request head could not be decoded, or null when it was. */
    public Throwable decoderFailure() {
        return request.decoderResult().isFailure() ? request.decoderResult().cause() : null;
    }
    public boolean clientHttp10() { return clientHttp10; }
    /** The request's Origin header, or null. */
    public String origin() { return origin; }
    /** The request body's Content-Length; 0 without one, {@code Long.MAX_VALUE} when chunked. */
    public long declaredLength() { return declaredLength; }
    /** Whether the request has no body at all: no Content-Length above 0 and not chunked. */
    public boolean bodyless() { return declaredLength == 0; }
    /** Whether the request asked to upgrade to cleartext HTTP/2 (its Upgrade header is removed as hop-by-hop). */
    public boolean h2cUpgrade() { return h2cUpgrade; }
    /**
     * Whether the request asked to upgrade to WebSocket ({@code Upgrade: websocket} with {@code Connection:
     * upgrade}), seen before those hop-by-hop headers were removed.
     */
    public boolean websocketUpgrade() { return websocketUpgrade; }
    /** The backend switched to WebSocket: the connection is a byte tunnel until either side closes it. */
    public boolean tunnelled() { return tunnelled; }
    public void tunnelled(boolean tunnelled) { this.tunnelled = tunnelled; }
    /**
     * How many header lines the client sent, counted before the gateway removes hop-by-hop headers or adds its own
     * ({@code X-Request-Id}), for {@code server.max_headers}.
     */
    public int headerCount() { return headerCount; }

    public String requestId() { return requestId.toString(); }
    /** The request ID as the bytes that go into headers. */
    public AsciiString requestIdValue() { return requestId; }

    /** The normalised path, or null when the target was rejected before normalisation. */
    public String path() { return path; }
    public String rawQuery() { return rawQuery; }
    public void target(String path, String rawQuery) {
        this.path = path;
        this.rawQuery = rawQuery;
    }

    public Route route() { return route; }
    public void route(Route route) { this.route = route; }

    public ApiClient client() { return client; }
    public void client(ApiClient client) { this.client = client; }

    /** The rate-limit result over every policy that applied; null when no limit applied (yet). */
    public RateLimitResult rateLimit() { return rateLimit; }
    public void rateLimit(RateLimitResult rateLimit) { this.rateLimit = rateLimit; }

    /**
     * The client's IP address, which IP rules check, per-IP rate limits count and the access log shows: the socket
     * peer, or what a trusted proxy says ({@link ClientIps}); null on a connection that is not over IP (tests) or
     * when a trusted proxy's {@code X-Forwarded-For} does not tell.
     */
    public InetAddress clientIp() { return clientIp; }
    /** The connection's socket peer, or null; set when the exchange starts. */
    public InetAddress peer() { return peer; }
    /** The connection's socket peer, set when the exchange starts; the client IP is found from it. */
    public void peer(InetAddress peer) {
        this.peer = peer;
        this.clientIp = config.clientIps().clientIp(peer, request.headers());
    }

    /** The most request-body bytes this request may stream; 0 for no limit. */
    public long maxBody() { return maxBody; }
    public void maxBody(long maxBody) { this.maxBody = maxBody; }

    /** The route's upstream in this snapshot, set by the upstream filter. */
    public Upstream upstream() { return upstream; }
    /** The endpoint the balancer picked for the first attempt; the proxy takes it, or another if it filled up. */
    public Endpoint endpoint() { return endpoint; }
    public void upstream(Upstream upstream, Endpoint endpoint) {
        this.upstream = upstream;
        this.endpoint = endpoint;
    }

    /** The backend targets the attempts went to, comma-separated in order, for the access log; null before any. */
    public String backend() { return backend; }
    /** How many attempts were made on backends. */
    public int attempts() { return attempts; }
    /** An attempt starts on {@code target}. */
    public void backend(String target) {
        this.backend = attempts == 0 ? target : backend + "," + target;
        this.lastTarget = target;
        attempts++;
    }

    /** The target of the last attempt, or null before any. */
    public String lastTarget() { return lastTarget; }

    /** Time from the start of the last attempt to its response head; -1 when no response head came. */
    public long backendNanos() { return backendNanos; }
    public void backendNanos(long nanos) { this.backendNanos = nanos; }

    /** Why authentication refused the request (one of the filter's fixed reasons), or null. */
    public String authFailure() { return authFailure; }
    public void authFailure(String reason) { this.authFailure = reason; }

    /** The W3C trace id (32 hex digits) the backend request carries, or null before it is known. */
    public String traceId() { return traceId; }
    public void traceId(String traceId) { this.traceId = traceId; }

    /** Request body bytes read from the client. */
    public long bytesIn() { return bytesIn; }
    public void addBytesIn(long n) { bytesIn += n; }
    /** Response body bytes written to the client. */
    public long bytesOut() { return bytesOut; }
    public void addBytesOut(long n) { bytesOut += n; }

    /** What the response cache does with this request's response; null when the cache is not involved. */
    public CacheFill cacheFill() { return cacheFill; }
    public void cacheFill(CacheFill fill) { this.cacheFill = fill; }

    /** The final response's status once its head is written; 0 before. */
    public int status() { return status; }
    public void status(int status) { this.status = status; }

    /** Why the exchange ended abnormally (aborted, reset, timeout), for the access log; null when it did not. */
    public String failure() { return failure; }
    public void failure(String failure) {
        if (this.failure == null) {
            this.failure = failure;
        }
    }

    public boolean logged() { return logged; }

    /** Returns true the first time only: the access log writes one line per exchange. */
    public boolean markLogged() {
        if (logged) {
            return false;
        }
        logged = true;
        return true;
    }
}
