package io.gatehouse.config;

import java.util.List;

/** The whole validated contents of {@code gateway.yaml}. Immutable; replaced as a whole, never edited. */
public record GatewayConfig(
        ServerConfig server,
        AuthConfig auth,
        RateLimitConfig rateLimit,
        CorsConfig cors,
        BackendConfig backend,
        List<RouteConfig> routes) {

    public GatewayConfig {
        routes = List.copyOf(routes);
    }
}
