package io.gatehouse.cors;

import io.gatehouse.config.CorsConfig;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The CORS headers to send, compiled once from {@link CorsConfig}. With {@code "*"} every response carries the same
 * shared headers; with a list of origins an allowed Origin is echoed back and {@code Vary: Origin} is added.
 */
public final class CorsPolicy {

    private static final AsciiString TRUE = AsciiString.cached("true");

    private final boolean anyOrigin;
    private final Map<String, HttpHeaders> byOrigin = new HashMap<>();
    private final HttpHeaders wildcardHeaders;
    private final AsciiString methods;
    private final AsciiString allowHeaders;
    private final AsciiString exposeHeaders;
    private final boolean credentials;
    private final long maxAgeSeconds;

    public CorsPolicy(CorsConfig config) {
        this.anyOrigin = config.allowOrigins().contains("*");
        this.methods = new AsciiString(String.join(", ", config.allowMethods()));
        this.allowHeaders = new AsciiString(String.join(", ", config.allowHeaders()));
        this.exposeHeaders = new AsciiString(String.join(", ", config.exposeHeaders()));
        this.credentials = config.allowCredentials();
        this.maxAgeSeconds = config.maxAge() == null ? 0 : config.maxAge().toSeconds();
        this.wildcardHeaders = anyOrigin ? headersFor("*", false) : null;
        if (!anyOrigin) {
            for (String origin : config.allowOrigins()) {
                byOrigin.put(origin, headersFor(origin, true));
            }
        }
    }

    /** The headers for a response to a request with this Origin (null when the request has none), or null. */
    public HttpHeaders headersFor(String origin) {
        if (anyOrigin) {
            return wildcardHeaders;
        }
        return origin == null ? null : byOrigin.get(origin);
    }

    /** Whether responses vary by Origin, so that caches must key on it. */
    public boolean variesByOrigin() {
        return !anyOrigin;
    }

    public long maxAgeSeconds() {
        return maxAgeSeconds;
    }

    /**
     * Adds the CORS headers for a request with this Origin (null when it had none) to a final response, and
     * {@code Vary: Origin} when responses differ by origin.
     */
    public void decorate(HttpHeaders response, String origin) {
        if (!anyOrigin) {
            appendVaryOrigin(response);
        }
        HttpHeaders cors = headersFor(origin);
        if (cors == null) {
            return;
        }
        // The CharSequence iterator keeps the precomputed AsciiString values: no String per header.
        var entries = cors.iteratorCharSequence();
        while (entries.hasNext()) {
            var header = entries.next();
            if (!HttpHeaderNames.VARY.contentEqualsIgnoreCase(header.getKey())) {
                response.set(header.getKey(), header.getValue());
            }
        }
    }

    private static void appendVaryOrigin(HttpHeaders headers) {
        // A backend may send several Vary headers: judge and keep them all, not just the first.
        if (!headers.contains(HttpHeaderNames.VARY)) {
            headers.set(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
            return;
        }
        List<String> values = headers.getAll(HttpHeaderNames.VARY);
        String vary = String.join(", ", values);
        if (!containsToken(vary, "origin") && !containsToken(vary, "*")) {
            headers.set(HttpHeaderNames.VARY, vary + ", Origin");
        }
    }

    private static boolean containsToken(String list, String token) {
        for (String part : list.split(",")) {
            if (part.trim().equalsIgnoreCase(token)) {
                return true;
            }
        }
        return false;
    }

    /** Values are AsciiStrings, validated once here and copied as bytes into every response. */
    private HttpHeaders headersFor(String origin, boolean vary) {
        HttpHeaders headers = new DefaultHttpHeaders();
        headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, new AsciiString(origin));
        if (!methods.isEmpty()) {
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, methods);
        }
        if (!allowHeaders.isEmpty()) {
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, allowHeaders);
        }
        if (!exposeHeaders.isEmpty()) {
            headers.set(HttpHeaderNames.ACCESS_CONTROL_EXPOSE_HEADERS, exposeHeaders);
        }
        if (credentials) {
            headers.set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_CREDENTIALS, TRUE);
        }
        if (vary) {
            headers.set(HttpHeaderNames.VARY, HttpHeaderNames.ORIGIN);
        }
        return headers;
    }
}
