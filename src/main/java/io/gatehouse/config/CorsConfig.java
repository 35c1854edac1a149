package io.gatehouse.config;

import java.time.Duration;
import java.util.List;

/** CORS headers added to every response, and the answer to preflight requests. */
public record CorsConfig(
        List<String> allowOrigins,
        List<String> allowMethods,
        List<String> allowHeaders,
        List<String> exposeHeaders,
        boolean allowCredentials,
        Duration maxAge) {

    public CorsConfig {
        allowOrigins = List.copyOf(allowOrigins);
        allowMethods = List.copyOf(allowMethods);
        allowHeaders = List.copyOf(allowHeaders);
        exposeHeaders = List.copyOf(exposeHeaders);
    }
}
