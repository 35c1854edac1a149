package io.gatehouse.pipeline;

import io.gatehouse.config.AuthMode;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.cache.HttpCache;
import io.gatehouse.config.RouteCacheConfig;
import io.gatehouse.config.RouteConfig;
import io.gatehouse.config.RouteRateLimitConfig;
import io.gatehouse.exchange.Filter;
import io.gatehouse.exchange.FilterChain;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.metrics.GatewayMetrics;
import io.gatehouse.ratelimit.RateLimitPolicies;
import io.gatehouse.ratelimit.RateLimiter;
import io.gatehouse.auth.ApiKeys;
import io.gatehouse.auth.jwt.JwtProviders;
import io.gatehouse.auth.jwt.JwtVerifier;
import io.gatehouse.auth.jwt.VerifiedTokens;
import io.gatehouse.upstream.Upstream;
import io.gatehouse.upstream.Upstreams;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Compiles a config snapshot's filter chains: the order of the request path is written here, once.
 * <p>
 * Every request first runs {@code framing → cors-preflight → health → routing}; then its route's chain, which holds
 * only what that route's config asks for: {@code ip-rules} where it has {@code allow_ips} or {@code deny_ips};
 * {@code api-key}, {@code jwt(...)} or {@code api-key-or-jwt(...)} and then {@code rate-limit} on authenticated
 * routes; {@code body-limit}
 * where the route has a limit, {@code rate-limit-by-ip} on an open route with {@code rate_limit_by_ip}, and last
 * {@code upstream}, which picks the target. A feature adds its filter here, built from its validated config, and only to the
 * routes that use it.
 */
public final class Filters {

    private static final FilterChain ENTRY = FilterChain.of(List.of(
            FramingFilter.INSTANCE, PreflightFilter.INSTANCE, HealthFilter.INSTANCE, RoutingFilter.INSTANCE));

    private Filters() {
    }

    /**
     * Compiles {@code config} with its chains, with upstreams that are never health-checked (for {@code --check}
     * and tests of the request path); {@code limiter} outlives the snapshot and is shared by all.
     */
    public static RuntimeConfig compile(GatewayConfig config, RateLimiter limiter) {
        return compile(config, limiter, Upstreams.withoutChecks(System::nanoTime));
    }

    /**
     * Compiles {@code config} with its chains. {@code limiter} and {@code upstreams} outlive the snapshot: the
     * registry keeps the health and breaker state of targets that stay, and checks the targets of this config.
     */
    public static RuntimeConfig compile(GatewayConfig config, RateLimiter limiter, Upstreams upstreams) {
        return compile(config, limiter, upstreams, GatewayMetrics.detached());
    }

    /**
     * Compiles {@code config} with its chains and its metric handles from {@code metrics}, the server's; a config
     * with a cache gets a store of its own that nothing else shares (for {@code --check} and tests).
     */
    public static RuntimeConfig compile(GatewayConfig config, RateLimiter limiter, Upstreams upstreams,
                                        GatewayMetrics metrics) {
        return compile(config, limiter, upstreams, metrics,
                config.cache().enabled() ? HttpCache.create(config.cache()) : null);
    }

    /** Compiles {@code config} with {@code cache} as the response cache's store (null when it caches nothing). */
    public static RuntimeConfig compile(GatewayConfig config, RateLimiter limiter, Upstreams upstreams,
                                        GatewayMetrics metrics, HttpCache cache) {
        return compile(config, limiter, upstreams, metrics, cache, JwtProviders.detached());
    }

    /** Compiles {@code config}; {@code jwt}, the server's, keeps the JWT providers' fetched keys across reloads. */
    public static RuntimeConfig compile(GatewayConfig config, RateLimiter limiter, Upstreams upstreams,
                                        GatewayMetrics metrics, HttpCache cache, JwtProviders jwt) {
        Map<String, Upstream> byName = upstreams.load(config);
        Map<String, JwtVerifier> verifiers = jwt.load(config);
        ApiKeys keys = ApiKeys.of(config.auth().keys());
        ApiKeyFilter apiKey = new ApiKeyFilter(config.auth().header(), keys);
        RateLimitPolicies policies = RateLimitPolicies.of(config);
        // One store for the snapshot: a token verified on one route is known on every route taking its provider.
        VerifiedTokens verifiedTokens = new VerifiedTokens();
        RateLimitFilter rateLimit = RateLimitFilter.perClient(limiter, policies.forClients(RouteRateLimitConfig.NONE));
        return RuntimeConfig.compile(config, keys, ENTRY, route -> {
            RouteConfig rc = route.config();
            List<Filter> filters = new ArrayList<>(3);
            if (rc.access().checksIps()) {
                filters.add(new IpRulesFilter(rc.access()));
            }
            if (rc.auth() == AuthMode.API_KEY) {
                filters.add(apiKey);
            } else if (rc.auth().acceptsJwt()) {
                filters.add(new JwtFilter(rc.access().jwtProviders().stream().map(verifiers::get).toList(),
                        rc.auth() == AuthMode.API_KEY_OR_JWT ? apiKey : null, config.auth().header(),
                        verifiedTokens));
            }
            if (rc.limitsBody()) {
                filters.add(new BodyLimitFilter(rc.maxBody()));
            }
            RouteRateLimitConfig limits = config.rateLimit().route(rc.prefix());
            if (rc.auth().authenticates()) {
                filters.add(limits.policies().isEmpty() ? rateLimit
                        : RateLimitFilter.perClient(limiter, policies.forClients(limits)));
            } else if (limits.byIp() != null) {
                filters.add(RateLimitFilter.perIp(limiter, policies.forIp(limits)));
            }
            RouteCacheConfig caching = config.cache().route(rc.prefix());
            if (caching != null && cache != null) {
                filters.add(new CacheFilter(cache, caching, rc.prefix(), rc.timeout(), metrics.cache(rc.prefix())));
            }
            filters.add(new UpstreamFilter(byName.get(rc.upstream().name())));
            return FilterChain.of(filters);
        }, metrics, byName.values());
    }

    /** What runs for each route, one line per route, e.g. {@code /api/users: framing -> ... -> proxy}. */
    public static List<String> describe(RuntimeConfig snapshot) {
        List<String> lines = new ArrayList<>();
        for (var route : snapshot.routes().routes()) {
            List<String> names = new ArrayList<>(snapshot.entry().names());
            names.addAll(snapshot.chain(route).names());
            var targets = route.config().upstream().targets().stream()
                    .map(t -> t.weight() == 1 ? t.url().toString() : t.url() + "*" + t.weight()).toList();
            names.add("proxy(" + String.join(", ", targets) + ")");
            lines.add(route.prefix() + ": " + String.join(" -> ", names));
        }
        return lines;
    }
}
