package io.gatehouse.config;

import java.util.List;
import java.util.Objects;

/** The whole validated contents of {@code gateway.yaml}. Immutable; replaced as a whole, never edited. */
public record GatewayConfig(
        ServerConfig server,
        AuthConfig auth,
        RateLimitConfig rateLimit,
        CorsConfig cors,
        BackendConfig backend,
        List<RouteConfig> routes) {

    public GatewayConfig {
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(rateLimit, "rateLimit");
        Objects.requireNonNull(cors, "cors");
        Objects.requireNonNull(backend, "backend");
        routes = List.copyOf(routes);
    }

    /** Every section at its defaults (no API keys) with the given routes; handy in tests. */
    public static GatewayConfig defaults(List<RouteConfig> routes) {
        return new GatewayConfig(ServerConfig.defaults(), AuthConfig.defaults(), RateLimitConfig.defaults(),
                CorsConfig.defaults(), BackendConfig.defaults(), routes);
    }
}
