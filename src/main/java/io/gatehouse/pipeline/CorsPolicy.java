package io.gatehouse.pipeline;

import io.gatehouse.config.CorsConfig;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.HashMap;
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
