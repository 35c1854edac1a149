package io.gatehouse.pipeline;

import io.gatehouse.cache.CacheControl;
import io.gatehouse.cache.CacheFill;
import io.gatehouse.cache.CacheKey;
import io.gatehouse.cache.CachedResponse;
import io.gatehouse.cache.HttpCache;
import io.gatehouse.config.RouteCacheConfig;
import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.Filter;
import io.gatehouse.exchange.Verdict;
import io.gatehouse.metrics.CacheMetrics;
import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A route's response cache, after authentication and rate limiting (a hit is a request like any other: it needs a
 * valid key and counts against the client's limit) and before the upstream. A fresh stored response answers at
 * once; a stale one with a validator is revalidated; a miss goes on to the backend with a {@link CacheFill} that
 * the recorder feeds as the response streams back. Concurrent misses on one key wait for the first one's response
 * ({@code coalesce}) — and when that turns out not to be storable for them, each goes to the backend itself.
 * <p>
 * On a route that is not {@code shared}, the key holds the client's identity, so that no client is ever answered
 * with another's response; a request there with no identity but with credentials the gateway does not check
 * ({@code Authorization}, {@code Cookie}) bypasses the cache.
 */
final class CacheFilter implements Filter {

    static final AsciiString CACHE_STATUS = AsciiString.cached("cache-status");
    /** A client without an identity on a route that is not shared. */
    private static final String ANONYMOUS = "";

    private final HttpCache cache;
    private final RouteCacheConfig config;
    private final String route;
    private final long waitMillis;
    private final CacheMetrics metrics;

    CacheFilter(HttpCache cache, RouteCacheConfig config, String route, Duration routeTimeout,
                CacheMetrics metrics) {
        this.metrics = metrics;
        this.cache = cache;
        this.config = config;
        this.route = route;
        this.waitMillis = routeTimeout.toMillis();
    }

    @Override
    public String name() {
        return config.shared() ? "cache(shared)" : "cache";
    }

    @Override
    public Verdict apply(Exchange exchange) {
        HttpMethod method = exchange.method();
        boolean get = HttpMethod.GET.equals(method);
        if (!get && !HttpMethod.HEAD.equals(method)) {
            if (writes(method)) {
                exchange.cacheFill(CacheFill.invalidating(cache, key(exchange, null), config));
            }
            return Verdict.proceed();
        }
        HttpHeaders headers = exchange.requestHeaders();
        CacheControl control = CacheControl.parse(headers.getAll(HttpHeaderNames.CACHE_CONTROL));
        String identity = config.shared() ? null : identity(exchange);
        // A range is not answered from the store (a whole 200 would defeat a resumed download), nor stored (206).
        if (control.noStore() || headers.contains(HttpHeaderNames.RANGE) || (ANONYMOUS.equals(identity) && (headers.contains(HttpHeaderNames.AUTHORIZATION)
                || headers.contains(HttpHeaderNames.COOKIE)))) {
            metrics.bypass();
            exchange.cacheFill(CacheFill.forward(cache, key(exchange, identity), config, headers, false,
                    CacheFill.Forward.BYPASS, null, false, null));
            return Verdict.proceed();
        }
        CacheKey key = key(exchange, identity);
        boolean forced = control.noCache() || control.maxAge() == 0;
        CachedResponse found = cache.find(key, headers);
        long now = cache.now();
        if (!forced && found != null && found.fresh(now)
                && (control.maxAge() < 0 || found.ageMillis(now) <= control.maxAge() * 1000)) {
            metrics.hit();
            return Verdict.answer(hit(found, headers, now, "gatehouse; hit"));
        }
        if (control.onlyIfCached()) {
            metrics.miss();
            return Verdict.answer(Answer.error(HttpResponseStatus.GATEWAY_TIMEOUT, "Not in the cache")
                    .withHeader(CACHE_STATUS, "gatehouse; fwd=miss"));
        }
        if (found != null && !forced) {
            boolean clientConditional = headers.contains(HttpHeaderNames.IF_NONE_MATCH)
                    || headers.contains(HttpHeaderNames.IF_MODIFIED_SINCE);
            boolean revalidate = !clientConditional && (found.etag() != null || found.lastModified() != null);
            if (revalidate) {
                if (found.etag() != null) {
                    headers.set(HttpHeaderNames.IF_NONE_MATCH, found.etag());
                }
                if (found.lastModified() != null) {
                    headers.set(HttpHeaderNames.IF_MODIFIED_SINCE, found.lastModified());
                }
            }
            metrics.stale();
            exchange.cacheFill(CacheFill.forward(cache, key, config, headers, get && !clientConditional,
                    CacheFill.Forward.STALE, found, revalidate, null));
            return Verdict.proceed();
        }
        if (get && config.coalesce() && !forced) {
            HttpCache.Turn turn = cache.turn(key, 2 * waitMillis);
            if (!turn.leads()) {
                // Counted once the wait is over: a hit if the fill stored what this request wants, else a miss.
                return Verdict.suspend(turn.fill().copy().orTimeout(waitMillis, TimeUnit.MILLISECONDS),
                        (done, failure) -> afterWaiting(exchange, key, headers));
            }
            metrics.miss();
            exchange.cacheFill(CacheFill.forward(cache, key, config, headers, true, CacheFill.Forward.MISS, null,
                    false, turn.fill()));
            return Verdict.proceed();
        }
        metrics.miss();
        exchange.cacheFill(CacheFill.forward(cache, key, config, headers, get,
                forced ? CacheFill.Forward.REQUEST : CacheFill.Forward.MISS, found, false, null));
        return Verdict.proceed();
    }

    /**
     * The fill this request waited on is over (or the wait ran out): its response answers when it was stored for
     * this request's variant; otherwise this request goes to the backend itself.
     */
    private Verdict afterWaiting(Exchange exchange, CacheKey key, HttpHeaders headers) {
        CachedResponse found = cache.find(key, headers);
        long now = cache.now();
        if (found != null && found.fresh(now)) {
            metrics.hit();
            return Verdict.answer(hit(found, headers, now, "gatehouse; hit; detail=coalesced"));
        }
        metrics.miss();
        exchange.cacheFill(CacheFill.forward(cache, key, config, headers, true, CacheFill.Forward.MISS, null, false,
                null));
        return Verdict.proceed();
    }

    private static boolean writes(HttpMethod method) {
        return HttpMethod.POST.equals(method) || HttpMethod.PUT.equals(method) || HttpMethod.PATCH.equals(method)
                || HttpMethod.DELETE.equals(method);
    }

    private CacheKey key(Exchange exchange, String identity) {
        return new CacheKey(route, exchange.path(), query(exchange.rawQuery()), identity);
    }

    /** The client's identity: its key's name; {@link #ANONYMOUS} on a route without authentication. */
    private static String identity(Exchange exchange) {
        return exchange.client() == null ? ANONYMOUS : exchange.client().name();
    }

    /** The query as {@code key_query} keeps it. */
    private String query(String raw) {
        if (raw == null || raw.isEmpty()) {
            return "";
        }
        return switch (config.query().mode()) {
            case ALL -> raw;
            case NONE -> "";
            case LISTED -> listed(raw, config.query().names());
        };
    }

    /** The named parameters only, ordered by name (then as sent), their raw bytes unchanged. */
    static String listed(String raw, List<String> names) {
        List<String> kept = new ArrayList<>();
        for (String pair : raw.split("&", -1)) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            if (names.contains(name)) {
                kept.add(pair);
            }
        }
        kept.sort((a, b) -> {
            String an = a.indexOf('=') < 0 ? a : a.substring(0, a.indexOf('='));
            String bn = b.indexOf('=') < 0 ? b : b.substring(0, b.indexOf('='));
            return an.compareTo(bn);
        });
        return String.join("&", kept);
    }

    /**
     * The answer from a stored response: its headers and body, its current {@code Age}, and {@code cacheStatus};
     * a 304 when the client's own validators match it.
     */
    static Answer hit(CachedResponse found, HttpHeaders request, long now, String cacheStatus) {
        HttpHeaders headers = new DefaultHttpHeaders().add(found.headers());
        headers.set(HttpHeaderNames.AGE, found.ageMillis(now) / 1000);
        headers.set(CACHE_STATUS, cacheStatus);
        if (notModified(found, request)) {
            for (AsciiString name : List.of(HttpHeaderNames.CONTENT_TYPE, HttpHeaderNames.CONTENT_ENCODING,
                    HttpHeaderNames.CONTENT_LANGUAGE)) {
                headers.remove(name);
            }
            return Answer.stored(HttpResponseStatus.NOT_MODIFIED, headers, new byte[0]);
        }
        return Answer.stored(HttpResponseStatus.valueOf(found.status()), headers, found.body());
    }

    /** The client's conditional request matches the stored response (RFC 9110 section 13.1.1 and 13.1.3). */
    private static boolean notModified(CachedResponse found, HttpHeaders request) {
        if (found.status() != 200) {
            return false;
        }
        String ifNoneMatch = request.get(HttpHeaderNames.IF_NONE_MATCH);
        String etag = found.etag();
        if (ifNoneMatch != null) {
            if (etag == null) {
                return false;
            }
            for (String candidate : ifNoneMatch.split(",")) {
                String tag = candidate.trim();
                if (tag.equals("*") || weak(tag).equals(weak(etag))) {
                    return true;
                }
            }
            return false;
        }
        String ifModifiedSince = request.get(HttpHeaderNames.IF_MODIFIED_SINCE);
        String lastModified = found.lastModified();
        if (ifModifiedSince == null || lastModified == null) {
            return false;
        }
        Date since = DateFormatter.parseHttpDate(ifModifiedSince);
        Date modified = DateFormatter.parseHttpDate(lastModified);
        return since != null && modified != null && !modified.after(since);
    }

    private static String weak(String tag) {
        return tag.startsWith("W/") ? tag.substring(2) : tag;
    }
}
