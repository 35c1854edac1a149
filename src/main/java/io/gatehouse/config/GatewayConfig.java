package io.gatehouse.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** The whole validated contents of {@code gateway.yaml}. Immutable; replaced as a whole, never edited. */
public record GatewayConfig(
        ServerConfig server,
        AuthConfig auth,
        RateLimitConfig rateLimit,
        CorsConfig cors,
        BackendConfig backend,
        Map<String, UpstreamConfig> upstreams,
        List<RouteConfig> routes,
        OperationsConfig operations,
        CacheConfig cache) {

    public GatewayConfig {
        Objects.requireNonNull(operations, "operations");
        Objects.requireNonNull(cache, "cache");
        Objects.requireNonNull(server, "server");
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(rateLimit, "rateLimit");
        Objects.requireNonNull(cors, "cors");
        Objects.requireNonNull(backend, "backend");
        upstreams = Collections.unmodifiableMap(new LinkedHashMap<>(upstreams));
        routes = List.copyOf(routes);
    }

    /** Without a response cache. */
    public GatewayConfig(ServerConfig server, AuthConfig auth, RateLimitConfig rateLimit, CorsConfig cors,
                         BackendConfig backend, Map<String, UpstreamConfig> upstreams, List<RouteConfig> routes,
                         OperationsConfig operations) {
        this(server, auth, rateLimit, cors, backend, upstreams, routes, operations, CacheConfig.NONE);
    }

    /** Without the operations sections: every one at its default (no admin listener, text access log). */
    public GatewayConfig(ServerConfig server, AuthConfig auth, RateLimitConfig rateLimit, CorsConfig cors,
                         BackendConfig backend, Map<String, UpstreamConfig> upstreams, List<RouteConfig> routes) {
        this(server, auth, rateLimit, cors, backend, upstreams, routes, OperationsConfig.defaults());
    }

    public GatewayConfig withOperations(OperationsConfig next) {
        return new GatewayConfig(server, auth, rateLimit, cors, backend, upstreams, routes, next, cache);
    }

    public GatewayConfig withCache(CacheConfig next) {
        return new GatewayConfig(server, auth, rateLimit, cors, backend, upstreams, routes, operations, next);
    }

    /** The upstream of each route, named ones once each, in config order (named first, then inline ones). */
    public List<UpstreamConfig> allUpstreams() {
        Map<String, UpstreamConfig> all = new LinkedHashMap<>(upstreams);
        for (RouteConfig route : routes) {
            all.putIfAbsent(route.upstream().name(), route.upstream());
        }
        return List.copyOf(all.values());
    }

    /** Every section at its defaults (no API keys) with the given routes; handy in tests. */
    public static GatewayConfig defaults(List<RouteConfig> routes) {
        return new GatewayConfig(ServerConfig.defaults(), AuthConfig.defaults(), RateLimitConfig.defaults(),
                CorsConfig.defaults(), BackendConfig.defaults(), Map.of(), routes);
    }
}
