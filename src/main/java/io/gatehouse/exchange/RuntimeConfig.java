package io.gatehouse.exchange;

import io.gatehouse.auth.ApiKeys;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.cors.CorsPolicy;
import io.gatehouse.routing.Route;
import io.gatehouse.routing.RouteTable;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A validated {@link GatewayConfig} compiled into the objects the request path uses: the route table, the API keys,
 * the CORS policy, and the filter chains — one that every request runs before it has a route (framing, preflight,
 * health, routing), then one per route with only the filters that route's config needs. Built off the event loops
 * and published as a whole; each request takes one snapshot when its head arrives and keeps it to the end.
 */
public final class RuntimeConfig {

    private final GatewayConfig config;
    private final RouteTable routes;
    private final ApiKeys apiKeys;
    private final CorsPolicy cors;
    private final FilterChain entry;
    private final Map<Route, FilterChain> byRoute;

    private RuntimeConfig(GatewayConfig config, ApiKeys apiKeys, FilterChain entry,
                          Function<Route, FilterChain> routeChain) {
        this.config = config;
        this.routes = RouteTable.of(config.routes());
        this.apiKeys = apiKeys;
        this.cors = new CorsPolicy(config.cors());
        this.entry = entry;
        Map<Route, FilterChain> chains = new IdentityHashMap<>();
        for (Route route : routes.routes()) {
            chains.put(route, routeChain.apply(route));
        }
        this.byRoute = chains;
    }

    /**
     * Compiles {@code config}.
     *
     * @param apiKeys    the accepted keys, compiled from {@code config}
     * @param entry      the filters every request runs first; the last of them picks the route
     * @param routeChain the filters for one route, called once per route
     */
    public static RuntimeConfig compile(GatewayConfig config, ApiKeys apiKeys, FilterChain entry,
                                        Function<Route, FilterChain> routeChain) {
        return new RuntimeConfig(config, apiKeys, entry, routeChain);
    }

    public GatewayConfig config() { return config; }
    public RouteTable routes() { return routes; }
    public ApiKeys apiKeys() { return apiKeys; }
    public CorsPolicy cors() { return cors; }

    /** The filters every request runs before it has a route. */
    public FilterChain entry() { return entry; }

    /** The filters for requests on {@code route}, a route of this snapshot. */
    public FilterChain chain(Route route) {
        FilterChain chain = byRoute.get(route);
        if (chain == null) {
            throw new IllegalArgumentException(route + " is not a route of this config");
        }
        return chain;
    }
}
