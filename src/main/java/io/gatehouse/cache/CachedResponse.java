package io.gatehouse.cache;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.ReadOnlyHttpHeaders;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * One stored response: its status, its headers as the backend sent them (less what each answer sets afresh:
 * {@code Age}, framing, the gateway's own headers), its body as a heap array, and the times RFC 9111's age and
 * freshness arithmetic needs. Immutable; a revalidation makes a new one.
 */
public final class CachedResponse {

    /** Fixed cost counted for each entry besides its bytes: the objects around them. */
    static final int OVERHEAD = 256;

    private final int status;
    private final HttpHeaders headers;
    private final byte[] body;
    private final long responseTime;
    private final long initialAge;
    private final long lifetime;
    private final boolean noCache;
    private final boolean mustRevalidate;
    private final String variant;
    private final int weight;

    CachedResponse(int status, HttpHeaders headers, byte[] body, long responseTime, long initialAge, long lifetime,
                   boolean noCache, boolean mustRevalidate, String variant) {
        this.status = status;
        this.headers = headers;
        this.body = body;
        this.responseTime = responseTime;
        this.initialAge = initialAge;
        this.lifetime = lifetime;
        this.noCache = noCache;
        this.mustRevalidate = mustRevalidate;
        this.variant = variant;
        long size = OVERHEAD + body.length + variant.length() * 2L;
        for (Map.Entry<String, String> header : headers) {
            size += header.getKey().length() + header.getValue().length() + 32;
        }
        this.weight = (int) Math.min(Integer.MAX_VALUE, size);
    }

    /**
     * A response as it arrived: its headers are copied without the ones each answer sets itself, and a
     * {@code Date} is added when the backend sent none.
     */
    static CachedResponse of(int status, HttpHeaders arrived, byte[] body, long requestTime, long responseTime,
                             long lifetime, CacheControl control, String variant) {
        DefaultHttpHeaders kept = new DefaultHttpHeaders();
        for (Map.Entry<String, String> header : arrived) {
            if (!setPerAnswer(header.getKey())) {
                kept.add(header.getKey(), header.getValue());
            }
        }
        if (!kept.contains(HttpHeaderNames.DATE)) {
            kept.set(HttpHeaderNames.DATE, DateFormatter.format(new Date(responseTime)));
        }
        long initialAge = ResponsePolicy.initialAgeMillis(arrived, requestTime, responseTime);
        return new CachedResponse(status, readOnly(kept), body, responseTime, initialAge, Math.max(0, lifetime),
                control.noCache(), control.mustRevalidate(), variant);
    }

    /**
     * This response refreshed by a 304 (RFC 9111 section 4.3.4): the 304's headers replace the stored ones of the
     * same name, the body stays, and age and freshness start again from the 304.
     */
    CachedResponse refreshedBy(HttpHeaders notModified, long requestTime, long responseTime,
                               java.time.Duration ttl) {
        DefaultHttpHeaders merged = new DefaultHttpHeaders();
        merged.add(headers);
        for (String name : notModified.names()) {
            if (!setPerAnswer(name) && !HttpHeaderNames.CONTENT_TYPE.contentEqualsIgnoreCase(name)) {
                merged.set(name, notModified.getAll(name));
            }
        }
        CacheControl control = CacheControl.parse(merged.getAll(HttpHeaderNames.CACHE_CONTROL));
        long lifetimeMillis = ResponsePolicy.lifetimeMillis(status, merged, control, ttl, responseTime);
        long initial = ResponsePolicy.initialAgeMillis(notModified, requestTime, responseTime);
        return new CachedResponse(status, readOnly(merged), body, responseTime, initial,
                Math.max(0, lifetimeMillis), control.noCache(), control.mustRevalidate(), variant);
    }

    private static boolean setPerAnswer(String name) {
        return HttpHeaderNames.AGE.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name)
                || HttpHeaderNames.CONNECTION.contentEqualsIgnoreCase(name)
                || "cache-status".equalsIgnoreCase(name)
                || "x-request-id".equalsIgnoreCase(name);
    }

    private static HttpHeaders readOnly(HttpHeaders headers) {
        List<CharSequence> pairs = new ArrayList<>(headers.size() * 2);
        for (Map.Entry<String, String> header : headers) {
            pairs.add(header.getKey());
            pairs.add(header.getValue());
        }
        return new ReadOnlyHttpHeaders(false, pairs.toArray(new CharSequence[0]));
    }

    public int status() { return status; }
    /** The stored headers; read-only. */
    public HttpHeaders headers() { return headers; }
    /** The body; never to be written to (answers wrap it read-only as it is). */
    public byte[] body() { return body; }
    public int bodyLength() { return body.length; }
    /** Which variant of its URL this is: the request's values of the headers its {@code Vary} names. */
    String variant() { return variant; }
    int weight() { return weight; }

    /** {@code current_age} at {@code now}, in milliseconds. */
    public long ageMillis(long now) {
        return initialAge + Math.max(0, now - responseTime);
    }

    /** Fresh at {@code now}, and usable without asking the backend: not marked no-cache. */
    public boolean fresh(long now) {
        return !noCache && lifetime > ageMillis(now);
    }

    /** How long past its freshness it is at {@code now} (0 while fresh). */
    public long staleMillis(long now) {
        return Math.max(0, ageMillis(now) - lifetime);
    }

    /** Whether a stale copy may answer a failing backend: never with must-revalidate or no-cache. */
    public boolean mayServeStale() {
        return !mustRevalidate && !noCache;
    }

    public String etag() { return headers.get(HttpHeaderNames.ETAG); }
    public String lastModified() { return headers.get(HttpHeaderNames.LAST_MODIFIED); }

    boolean hasValidator() {
        return etag() != null || lastModified() != null;
    }

    /**
     * Until when the store keeps it: past freshness, for as long as a stale copy may still answer an error, and
     * longer when a validator lets it be revalidated instead of fetched again.
     */
    long keepUntil(long staleIfErrorMillis) {
        long freshUntil = responseTime + lifetime - initialAge;
        long keep = Math.max(mayServeStale() ? staleIfErrorMillis : 0, hasValidator() ? REVALIDATION_KEEP : 0);
        return freshUntil + keep;
    }

    /** How long past freshness a response with a validator is kept for revalidation. */
    static final long REVALIDATION_KEEP = java.util.concurrent.TimeUnit.HOURS.toMillis(1);
}
