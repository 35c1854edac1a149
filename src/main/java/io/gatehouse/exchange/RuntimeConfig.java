package io.gatehouse.exchange;

import io.gatehouse.auth.ApiKeys;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.cors.CorsPolicy;
import io.gatehouse.metrics.GatewayMetrics;
import io.gatehouse.metrics.RouteMetrics;
import io.gatehouse.metrics.TargetMetrics;
import io.gatehouse.routing.Route;
import io.gatehouse.routing.RouteTable;
import io.gatehouse.upstream.Endpoint;
import io.gatehouse.upstream.Upstream;

import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
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
    private final ClientIps clientIps;
    private final FilterChain entry;
    private final Map<Route, FilterChain> byRoute;
    private final GatewayMetrics metrics;
    private final Map<Route, RouteMetrics> routeMetrics;
    private final RouteMetrics unroutedMetrics;
    private final Map<Endpoint, TargetMetrics> targetMetrics;
    private final long generation;
    /** The listener's TLS context when {@code server.tls} is set, built from it; null for cleartext. */
    private final io.netty.handler.ssl.SslContext serverTls;

    private RuntimeConfig(GatewayConfig config, ApiKeys apiKeys, FilterChain entry,
                          Function<Route, FilterChain> routeChain, GatewayMetrics metrics,
                          Collection<Upstream> upstreams) {
        this.config = config;
        this.routes = RouteTable.of(config.routes());
        this.apiKeys = apiKeys;
        this.cors = new CorsPolicy(config.cors());
        this.clientIps = new ClientIps(config.trustedProxies());
        this.entry = entry;
        Map<Route, FilterChain> chains = new IdentityHashMap<>();
        for (Route route : routes.routes()) {
            chains.put(route, routeChain.apply(route));
        }
        this.byRoute = chains;
        // Metric handles, resolved now so that a request records without looking a label up.
        this.metrics = metrics;
        Map<Route, RouteMetrics> byRouteMetrics = new IdentityHashMap<>();
        for (Route route : routes.routes()) {
            byRouteMetrics.put(route, metrics.route(route.prefix()));
        }
        this.routeMetrics = byRouteMetrics;
        this.unroutedMetrics = metrics.route(GatewayMetrics.NO_ROUTE);
        Map<Endpoint, TargetMetrics> byEndpoint = new IdentityHashMap<>();
        for (Upstream upstream : upstreams) {
            for (Endpoint endpoint : upstream.endpoints()) {
                byEndpoint.put(endpoint, metrics.target(upstream.name(), endpoint.url().toString()));
            }
        }
        this.targetMetrics = byEndpoint;
        this.generation = 0;
        this.serverTls = null;
    }

    private RuntimeConfig(RuntimeConfig compiled, long generation, io.netty.handler.ssl.SslContext serverTls) {
        this.config = compiled.config;
        this.routes = compiled.routes;
        this.apiKeys = compiled.apiKeys;
        this.cors = compiled.cors;
        this.clientIps = compiled.clientIps;
        this.entry = compiled.entry;
        this.byRoute = compiled.byRoute;
        this.metrics = compiled.metrics;
        this.routeMetrics = compiled.routeMetrics;
        this.unroutedMetrics = compiled.unroutedMetrics;
        this.targetMetrics = compiled.targetMetrics;
        this.generation = generation;
        this.serverTls = serverTls;
    }

    /** This snapshot as the server publishes it: numbered as {@code /config} and the access log show it. */
    public RuntimeConfig withGeneration(long number) {
        return new RuntimeConfig(this, number, serverTls);
    }

    /** This snapshot with the listener's TLS context, built from its {@code server.tls}. */
    public RuntimeConfig withServerTls(io.netty.handler.ssl.SslContext context) {
        return new RuntimeConfig(this, generation, context);
    }

    /** The TLS context new client connections use; null when the listener speaks cleartext. */
    public io.netty.handler.ssl.SslContext serverTls() { return serverTls; }

    /** The snapshot's generation: 1 at start, one more per successful reload; 0 when never published. */
    public long generation() { return generation; }

    /**
     * Compiles {@code config}.
     *
     * @param apiKeys    the accepted keys, compiled from {@code config}
     * @param entry      the filters every request runs first; the last of them picks the route
     * @param routeChain the filters for one route, called once per route
     */
    public static RuntimeConfig compile(GatewayConfig config, ApiKeys apiKeys, FilterChain entry,
                                        Function<Route, FilterChain> routeChain) {
        return new RuntimeConfig(config, apiKeys, entry, routeChain, GatewayMetrics.detached(), List.of());
    }

    /**
     * Compiles {@code config} with metric handles from {@code metrics} for its routes and for every target of
     * {@code upstreams} (this snapshot's).
     */
    public static RuntimeConfig compile(GatewayConfig config, ApiKeys apiKeys, FilterChain entry,
                                        Function<Route, FilterChain> routeChain, GatewayMetrics metrics,
                                        Collection<Upstream> upstreams) {
        return new RuntimeConfig(config, apiKeys, entry, routeChain, metrics, upstreams);
    }

    public GatewayConfig config() { return config; }
    public RouteTable routes() { return routes; }
    public ApiKeys apiKeys() { return apiKeys; }
    public CorsPolicy cors() { return cors; }
    /** How a request's client IP is found ({@code trusted_proxies}). */
    public ClientIps clientIps() { return clientIps; }

    public GatewayMetrics metrics() { return metrics; }

    /** The request metrics of {@code route} (a route of this snapshot), or of requests without one for null. */
    public RouteMetrics routeMetrics(Route route) {
        RouteMetrics handle = route == null ? null : routeMetrics.get(route);
        return handle != null ? handle : unroutedMetrics;
    }

    /** The backend metrics of {@code endpoint}, a target of this snapshot's upstreams; null for another. */
    public TargetMetrics targetMetrics(Endpoint endpoint) {
        return targetMetrics.get(endpoint);
    }

    /** Each target of this snapshot's upstreams with its metric handle (which names its upstream and URL). */
    public void forEachTarget(java.util.function.BiConsumer<TargetMetrics, Endpoint> action) {
        targetMetrics.forEach((endpoint, handle) -> action.accept(handle, endpoint));
    }

    /** Every route label and (upstream, target) pair of this snapshot, for {@link GatewayMetrics#retain}. */
    public void retainMetrics() {
        List<String> routeLabels = routeMetrics.keySet().stream().map(Route::prefix).toList();
        List<List<String>> targets = new java.util.ArrayList<>();
        targetMetrics.forEach((endpoint, handle) -> targets.add(List.of(handle.upstream(), handle.target())));
        metrics.retain(routeLabels, targets);
    }

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
