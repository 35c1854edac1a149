package io.gatehouse.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** CORS headers added to every response, and the answer to preflight requests. */
public record CorsConfig(
        List<String> allowOrigins,
        List<String> allowMethods,
        List<String> allowHeaders,
        List<String> exposeHeaders,
        boolean allowCredentials,
        Duration maxAge) {

    public static final List<String> DEFAULT_ALLOW_ORIGINS = List.of("*");
    public static final List<String> DEFAULT_ALLOW_METHODS = List.of("GET", "POST", "PUT", "DELETE", "OPTIONS");
    public static final List<String> DEFAULT_ALLOW_HEADERS = List.of("Content-Type", "X-API-Key");
    public static final List<String> DEFAULT_EXPOSE_HEADERS =
            List.of("X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining", "RateLimit", "RateLimit-Policy",
                    "Retry-After");
    public static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(10);

    public CorsConfig {
        allowOrigins = List.copyOf(allowOrigins);
        allowMethods = List.copyOf(allowMethods);
        allowHeaders = List.copyOf(allowHeaders);
        exposeHeaders = List.copyOf(exposeHeaders);
        Objects.requireNonNull(maxAge, "maxAge");
    }

    public static CorsConfig defaults() {
        return new CorsConfig(DEFAULT_ALLOW_ORIGINS, DEFAULT_ALLOW_METHODS, DEFAULT_ALLOW_HEADERS,
                DEFAULT_EXPOSE_HEADERS, false, DEFAULT_MAX_AGE);
    }
}
