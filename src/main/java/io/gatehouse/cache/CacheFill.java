package io.gatehouse.cache;

import io.gatehouse.config.RouteCacheConfig;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the cache does with one forwarded request's response as it streams to the client: copy it into a new entry
 * (a miss), refresh a stale entry from a 304 and answer with the entry instead (a revalidation), answer a failing
 * backend with a stale entry ({@code stale_if_error}), or drop a path's entries after a write through it. Made by
 * the cache filter, fed by the recorder on the client connection's event loop; one per request, never shared.
 * <p>
 * A fill that leads a coalesced miss always {@linkplain #finish() finishes}, stored or not, so that its waiters
 * look again; that is why {@link #abandon()} exists for a client that goes away mid-response.
 */
public final class CacheFill {

    /** Why the request went to the backend, as {@code Cache-Status}'s {@code fwd} parameter (RFC 9211). */
    public enum Forward {
        MISS("miss"), REQUEST("request"), STALE("stale"), BYPASS("bypass");

        final String token;

        Forward(String token) {
            this.token = token;
        }
    }

    /** What the recorder does with a response head. */
    public enum OnHead {
        /** Relay it (with {@link #cacheStatus()}), copying it when it is being stored. */
        PASS,
        /** Drop it and the rest of its response; answer with {@link #substitute()} instead. */
        SUBSTITUTE
    }

    private static final int INITIAL_BODY = 8192;

    private final HttpCache cache;
    private final CacheKey key;
    private final RouteCacheConfig route;
    /** The request's headers when it arrived, for the variant its response is stored as; null when not storing. */
    private final HttpHeaders request;
    private final boolean authorized;
    private final Forward forward;
    /** The stored response this request found stale, or null. */
    private final CachedResponse stale;
    private final boolean revalidating;
    private final boolean invalidating;
    private final long requestTime;
    private final CompletableFuture<Void> lead;

    private String cacheStatus;
    private boolean headSeen;
    private boolean recording;
    private boolean swallowing;
    private int status;
    private HttpHeaders head;
    private CacheControl control;
    private long lifetime;
    private List<String> vary;
    private byte[] body;
    private int length;
    private CachedResponse substitute;
    private long substituteTime;
    private boolean finished;
    private boolean stored;

    private CacheFill(HttpCache cache, CacheKey key, RouteCacheConfig route, HttpHeaders request, boolean authorized,
                      Forward forward, CachedResponse stale, boolean revalidating, boolean invalidating,
                      CompletableFuture<Void> lead) {
        this.cache = cache;
        this.key = key;
        this.route = route;
        this.request = request;
        this.authorized = authorized;
        this.forward = forward;
        this.stale = stale;
        this.revalidating = revalidating;
        this.invalidating = invalidating;
        this.lead = lead;
        this.requestTime = cache.now();
    }

    /**
     * A GET or HEAD going to the backend.
     *
     * @param requestHeaders the request's headers now (copied when the response may be stored)
     * @param store          whether its response may be stored (a GET that is not bypassing the cache)
     * @param stale          the stored response it found stale, or null
     * @param revalidating   the request now carries the stale response's validators
     * @param lead           the fill it leads for waiting requests, or null
     */
    public static CacheFill forward(HttpCache cache, CacheKey key, RouteCacheConfig route, HttpHeaders requestHeaders,
                                    boolean store, Forward forward, CachedResponse stale, boolean revalidating,
                                    CompletableFuture<Void> lead) {
        HttpHeaders snapshot = store ? new DefaultHttpHeaders().add(requestHeaders) : null;
        boolean authorized = requestHeaders.contains(HttpHeaderNames.AUTHORIZATION);
        return new CacheFill(cache, key, route, snapshot, authorized, forward, stale, revalidating, false, lead);
    }

    /** A write (POST, PUT, PATCH, DELETE) through {@code key}'s path: a 2xx or 3xx drops the path's entries. */
    public static CacheFill invalidating(HttpCache cache, CacheKey key, RouteCacheConfig route) {
        return new CacheFill(cache, key, route, null, false, Forward.BYPASS, null, false, true, null);
    }

    /** The value of {@code Cache-Status} for the response, once its head was seen; null for a write. */
    public String cacheStatus() {
        return cacheStatus;
    }

    /** Whether the rest of the current response is being dropped (it was answered with {@link #substitute()}). */
    public boolean swallowing() {
        return swallowing;
    }

    /** The last piece of a dropped response went by. */
    public void swallowed() {
        swallowing = false;
    }

    /** The stored response that answers instead, after {@link OnHead#SUBSTITUTE}. */
    public CachedResponse substitute() {
        return substitute;
    }

    /** When the substitute was chosen, for its {@code Age}. */
    public long substituteTime() {
        return substituteTime;
    }

    /** Whether the request carries validators the gateway added (the client's own conditionals were none). */
    public boolean revalidating() {
        return revalidating;
    }

    /** Whether the response was stored (after its end). */
    public boolean stored() {
        return stored;
    }

    /** Whether a final response head was seen: the pieces that follow are its body. */
    public boolean headSeen() {
        return headSeen;
    }

    /**
     * A final response head (status 200 or more) on its way to the client; {@code headers} are not kept, they are
     * copied when the response is stored.
     *
     * @param whole the head is the whole response (the gateway's own answers): nothing follows to drop
     */
    public OnHead onHead(int status, HttpHeaders headers, boolean whole) {
        headSeen = true;
        this.status = status;
        if (invalidating) {
            if (status >= 200 && status < 400) {
                cache.invalidate(key.route(), key.path());
            }
            finish();
            return OnHead.PASS;
        }
        long now = cache.now();
        if (stale != null && revalidating && status == 304) {
            substitute = stale.refreshedBy(headers, requestTime, now, route.ttl());
            cache.replace(key, stale, substitute, route.staleIfError().toMillis());
            cacheStatus = "gatehouse; fwd=stale; fwd-status=304";
            return substituted(whole);
        }
        if (stale != null && failed(status) && stale.mayServeStale()
                && stale.staleMillis(now) <= route.staleIfError().toMillis()) {
            substitute = stale;
            cacheStatus = "gatehouse; fwd=stale; fwd-status=" + status + "; detail=stale-if-error";
            return substituted(whole);
        }
        StringBuilder value = new StringBuilder("gatehouse; fwd=").append(forward.token);
        if (forward == Forward.STALE) {
            value.append("; fwd-status=").append(status);
        }
        if (request != null && startRecording(status, headers, now)) {
            long declared = declaredLength(headers);
            if (declared >= 0) {
                // Known to fit: it is stored unless the stream breaks. A body of unknown length may still outgrow
                // max_object, so it is not announced.
                value.append("; stored");
            }
        }
        cacheStatus = value.toString();
        if (!recording) {
            finish();
        }
        return OnHead.PASS;
    }

    private OnHead substituted(boolean whole) {
        substituteTime = cache.now();
        swallowing = !whole;
        finish();
        return OnHead.SUBSTITUTE;
    }

    private static boolean failed(int status) {
        return status == 500 || status == 502 || status == 503 || status == 504;
    }

    private boolean startRecording(int status, HttpHeaders headers, long now) {
        CacheControl responseControl = CacheControl.parse(headers.getAll(HttpHeaderNames.CACHE_CONTROL));
        long lifetimeMillis = ResponsePolicy.lifetimeMillis(status, headers, responseControl, route.ttl(), now);
        if (ResponsePolicy.whyNotStorable(status, headers, responseControl, authorized, lifetimeMillis) != null) {
            return false;
        }
        long declared = declaredLength(headers);
        if (declared > cache.maxObject()) {
            return false;
        }
        this.control = responseControl;
        this.lifetime = lifetimeMillis;
        this.vary = ResponsePolicy.varyNames(headers);
        this.head = new DefaultHttpHeaders().add(headers);
        this.body = new byte[(int) (declared >= 0 ? declared : Math.min(INITIAL_BODY, cache.maxObject()))];
        this.recording = true;
        return true;
    }

    private static long declaredLength(HttpHeaders headers) {
        if (headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            return -1;
        }
        String length = headers.get(HttpHeaderNames.CONTENT_LENGTH);
        if (length == null) {
            return -1;
        }
        try {
            return Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A piece of the response body on its way to the client: copied while the response is being stored. */
    public void onContent(ByteBuf content) {
        if (!recording) {
            return;
        }
        int n = content.readableBytes();
        if ((long) length + n > cache.maxObject()) {
            // Past max_object: the rest streams through, and nothing is stored.
            recording = false;
            body = null;
            return;
        }
        if (length + n > body.length) {
            body = Arrays.copyOf(body, (int) Math.min(cache.maxObject(), Math.max(length + n, body.length * 2L)));
        }
        content.getBytes(content.readerIndex(), body, length, n);
        length += n;
    }

    /** The response's end went by: a recorded response is stored now. */
    public void onEnd() {
        if (recording) {
            recording = false;
            byte[] exact = length == body.length ? body : Arrays.copyOf(body, length);
            body = null;
            CachedResponse response = CachedResponse.of(status, head, exact, requestTime, cache.now(), lifetime,
                    control, Variants.variant(vary, request));
            stored = cache.store(key, vary, response, route.staleIfError().toMillis());
        }
        finish();
    }

    /** The client went away before the response ended: nothing is stored. */
    public void abandon() {
        recording = false;
        body = null;
        finish();
    }

    private void finish() {
        if (!finished) {
            finished = true;
            if (lead != null) {
                cache.finish(key, lead);
            }
        }
    }
}
