package io.gatehouse.config;

import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Rate limiting shared by every client: the default policy's window, the named policies, the headers to send, the
 * routes' own policies and where the counters live.
 *
 * @param window   the window of the {@value RateLimitPolicyConfig#DEFAULT} policy (a key's {@code rate_limit: N})
 * @param store    {@link RateLimitStore#LOCAL} (each instance counts alone) or {@link RateLimitStore#REDIS}
 * @param redis    the Redis server when {@code store} is {@link RateLimitStore#REDIS}; null otherwise
 * @param headers  which rate-limit headers responses get; may be empty
 * @param policies the named policies ({@code rate_limit.policies}) by name, in the order written
 * @param routes   each route's own policies by route prefix; a route without any is absent
 */
public record RateLimitConfig(Duration window, RateLimitStore store, RedisConfig redis, Set<RateLimitHeaders> headers,
                              Map<String, RateLimitPolicyConfig> policies, Map<String, RouteRateLimitConfig> routes) {

    public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(60);

    public RateLimitConfig {
        Objects.requireNonNull(window, "window");
        Objects.requireNonNull(store, "store");
        if (window.isNegative() || window.isZero()) {
            throw new IllegalArgumentException("window must be positive: " + window);
        }
        if ((store == RateLimitStore.REDIS) != (redis != null)) {
            throw new IllegalArgumentException("redis settings are required with store REDIS and only then");
        }
        headers = headers.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(headers));
        policies = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(policies));
        routes = Map.copyOf(routes);
        for (Map.Entry<String, RateLimitPolicyConfig> e : policies.entrySet()) {
            if (!e.getKey().equals(e.getValue().name())) {
                throw new IllegalArgumentException("policy " + e.getValue() + " filed under " + e.getKey());
            }
        }
        for (RouteRateLimitConfig route : routes.values()) {
            for (String name : route.policies()) {
                policy(policies, name);
            }
            if (route.byIp() != null) {
                policy(policies, route.byIp());
            }
        }
    }

    /** Today's form: one window, both kinds of headers, no named policies. */
    public RateLimitConfig(Duration window, RateLimitStore store, RedisConfig redis) {
        this(window, store, redis, EnumSet.allOf(RateLimitHeaders.class), Map.of(), Map.of());
    }

    /** Local counters with the given window. */
    public RateLimitConfig(Duration window) {
        this(window, RateLimitStore.LOCAL, null);
    }

    public static RateLimitConfig defaults() {
        return new RateLimitConfig(DEFAULT_WINDOW);
    }

    /** This config with the routes' own policies. */
    public RateLimitConfig withRoutes(Map<String, RouteRateLimitConfig> byPrefix) {
        return new RateLimitConfig(window, store, redis, headers, policies, byPrefix);
    }

    /** The named policy {@code name}; it must exist. */
    public RateLimitPolicyConfig policy(String name) {
        return policy(policies, name);
    }

    /** The route's own policies; {@link RouteRateLimitConfig#NONE} for a route without any. */
    public RouteRateLimitConfig route(String prefix) {
        return routes.getOrDefault(prefix, RouteRateLimitConfig.NONE);
    }

    /** Whether the store settings (where the counters live) are the same; the rest can change on a reload. */
    public boolean sameStore(RateLimitConfig other) {
        return store == other.store && Objects.equals(redis, other.redis);
    }

    private static RateLimitPolicyConfig policy(Map<String, RateLimitPolicyConfig> policies, String name) {
        RateLimitPolicyConfig policy = policies.get(name);
        if (policy == null) {
            throw new IllegalArgumentException("no rate-limit policy named " + name);
        }
        return policy;
    }
}
