package io.gatehouse.metrics;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;

/**
 * Every metric the gateway exposes, in one registry that outlives config snapshots (it is owned by the server).
 * Families are registered once; the request path records through handles resolved when a snapshot is compiled
 * ({@link #route}, {@link #target}), never by looking labels up per request. A reload calls {@link #retain} with
 * the new snapshot's names, which removes the series of routes and targets that are gone.
 * <p>
 * Gauges that describe state owned elsewhere (connections, target health, the config generation) are callbacks,
 * read when scraped, so they cost the request path nothing and follow a reload by themselves.
 */
public final class GatewayMetrics {

    /** The {@code route} label of requests that matched no route (404, a refused head, {@code /health}). */
    public static final String NO_ROUTE = "none";

    /** Request and backend latencies, in seconds: 1 ms to 30 s. */
    private static final double[] LATENCY_BUCKETS = {
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

    private final PrometheusRegistry registry = new PrometheusRegistry();
    final Counter requests;
    final Histogram requestDuration;
    final Counter backendRequests;
    final Histogram backendDuration;
    final Counter rateLimited;
    final Counter authFailures;
    private final Counter configReloads;
    final Counter cacheLookups;

    private volatile DoubleSupplier clientConnections = () -> 0;
    private volatile DoubleSupplier configGeneration = () -> 0;
    private volatile DoubleSupplier accessLogDropped = () -> 0;
    private volatile DoubleSupplier cacheBytes = () -> 0;
    private volatile DoubleSupplier cacheEntries = () -> 0;
    private volatile Consumer<GaugeWithCallback.Callback> targetUp = callback -> { };
    private volatile Consumer<GaugeWithCallback.Callback> backendConnections = callback -> { };

    private GatewayMetrics(boolean jvm) {
        requests = Counter.builder().name("gatehouse_requests_total")
                .help("Requests answered, by route, method and status code")
                .labelNames("route", "method", "code").withoutExemplars().register(registry);
        requestDuration = Histogram.builder().name("gatehouse_request_duration_seconds")
                .help("Time from the request head to the end of the response, by route and status class")
                .labelNames("route", "code_class").classicOnly().classicUpperBounds(LATENCY_BUCKETS)
                .withoutExemplars().register(registry);
        backendRequests = Counter.builder().name("gatehouse_backend_requests_total")
                .help("Attempts on backend targets, by outcome: response, connect_failure, reset, timeout,"
                        + " bad_response")
                .labelNames("upstream", "target", "outcome").withoutExemplars().register(registry);
        backendDuration = Histogram.builder().name("gatehouse_backend_duration_seconds")
                .help("Time from the start of an attempt to the backend's response head, by upstream")
                .labelNames("upstream").classicOnly().classicUpperBounds(LATENCY_BUCKETS)
                .withoutExemplars().register(registry);
        rateLimited = Counter.builder().name("gatehouse_rate_limited_total")
                .help("Requests refused by the rate limiter, by route and client (the API key's name)")
                .labelNames("route", "client").withoutExemplars().register(registry);
        authFailures = Counter.builder().name("gatehouse_auth_failures_total")
                .help("Requests refused by authentication, by route and reason")
                .labelNames("route", "reason").withoutExemplars().register(registry);
        configReloads = Counter.builder().name("gatehouse_config_reloads_total")
                .help("Config reloads, by result: success, failure (refused; the running config stays) or unchanged"
                        + " (the file had the running config's content)")
                .labelNames("result").withoutExemplars().register(registry);
        configReloads.initLabelValues("success");
        configReloads.initLabelValues("failure");
        configReloads.initLabelValues("unchanged");
        GaugeWithCallback.builder().name("gatehouse_client_connections")
                .help("Client connections open")
                .callback(c -> c.call(clientConnections.getAsDouble())).register(registry);
        GaugeWithCallback.builder().name("gatehouse_backend_connections")
                .help("Backend connections, by upstream and state: active (carrying a request) or idle (pooled)")
                .labelNames("upstream", "state").callback(c -> backendConnections.accept(c)).register(registry);
        GaugeWithCallback.builder().name("gatehouse_target_up")
                .help("1 when an upstream target takes requests, 0 when it is unhealthy or its circuit is open")
                .labelNames("upstream", "target").callback(c -> targetUp.accept(c)).register(registry);
        GaugeWithCallback.builder().name("gatehouse_config_generation")
                .help("The running config's generation: 1 at start, one more for each successful reload")
                .callback(c -> c.call(configGeneration.getAsDouble())).register(registry);
        CounterWithCallback.builder().name("gatehouse_access_log_dropped_total")
                .help("Access lines dropped because the access log could not keep up")
                .callback(c -> c.call(accessLogDropped.getAsDouble())).register(registry);
        cacheLookups = Counter.builder().name("gatehouse_cache_lookups_total")
                .help("Requests on cached routes, by route and result: hit, miss, stale (revalidated or refetched),"
                        + " bypass")
                .labelNames("route", "result").withoutExemplars().register(registry);
        GaugeWithCallback.builder().name("gatehouse_cache_bytes")
                .help("Bytes of responses held by the response cache, as weighed against cache.max_size")
                .callback(c -> c.call(cacheBytes.getAsDouble())).register(registry);
        GaugeWithCallback.builder().name("gatehouse_cache_entries")
                .help("URLs (with their variants) held by the response cache")
                .callback(c -> c.call(cacheEntries.getAsDouble())).register(registry);
        if (jvm) {
            JvmMetrics.builder().register(registry);
        }
    }

    /** The server's metrics, with the JVM's own (memory, GC, threads). */
    public static GatewayMetrics create() {
        return new GatewayMetrics(true);
    }

    /** Metrics nobody scrapes, for snapshots compiled outside a server ({@code --check}, unit tests). */
    public static GatewayMetrics detached() {
        return new GatewayMetrics(false);
    }

    public PrometheusRegistry registry() {
        return registry;
    }

    /** The handle for a route's requests; {@code label} is its prefix, or {@link #NO_ROUTE}. */
    public RouteMetrics route(String label) {
        return new RouteMetrics(this, label);
    }

    /** The handle for a cached route's lookups; {@code label} is its prefix. */
    public CacheMetrics cache(String label) {
        return new CacheMetrics(cacheLookups, label);
    }

    /** Reports the response cache's size: its weighed bytes and its entries. */
    public void cacheSize(DoubleSupplier bytes, DoubleSupplier entries) {
        this.cacheBytes = bytes;
        this.cacheEntries = entries;
    }

    /** The handle for one target of an upstream: its outcomes and the upstream's time to response head. */
    public TargetMetrics target(String upstream, String target) {
        return new TargetMetrics(this, upstream, target);
    }

    /**
     * Removes the series of routes, upstreams and targets that are not in the new snapshot. Requests still running
     * on the old snapshot record into handles that are no longer exported.
     *
     * @param routes  the route labels that stay
     * @param targets each {@code List.of(upstream, target)} that stays
     */
    public void retain(Collection<String> routes, Collection<List<String>> targets) {
        Set<String> liveRoutes = new HashSet<>(routes);
        liveRoutes.add(NO_ROUTE);
        Set<List<String>> liveTargets = new HashSet<>(targets);
        Set<String> liveUpstreams = new HashSet<>();
        liveTargets.forEach(t -> liveUpstreams.add(t.get(0)));
        requests.removeIf(labels -> !liveRoutes.contains(labels.get(0)));
        requestDuration.removeIf(labels -> !liveRoutes.contains(labels.get(0)));
        rateLimited.removeIf(labels -> !liveRoutes.contains(labels.get(0)));
        authFailures.removeIf(labels -> !liveRoutes.contains(labels.get(0)));
        cacheLookups.removeIf(labels -> !liveRoutes.contains(labels.get(0)));
        backendRequests.removeIf(labels -> !liveTargets.contains(List.of(labels.get(0), labels.get(1))));
        backendDuration.removeIf(labels -> !liveUpstreams.contains(labels.get(0)));
    }

    public void configReloaded(boolean success) {
        configReloaded(success ? "success" : "failure");
    }

    /** Counts a reload by its result label: {@code success}, {@code failure} or {@code unchanged}. */
    public void configReloaded(String result) {
        configReloads.labelValues(result).inc();
    }

    public void clientConnections(DoubleSupplier source) {
        this.clientConnections = source;
    }

    public void configGeneration(DoubleSupplier source) {
        this.configGeneration = source;
    }

    public void accessLogDropped(DoubleSupplier source) {
        this.accessLogDropped = source;
    }

    /** Reports {@code gatehouse_target_up}: {@code callback.call(value, upstream, target)} for each target. */
    public void targetUp(Consumer<GaugeWithCallback.Callback> source) {
        this.targetUp = source;
    }

    /** Reports {@code gatehouse_backend_connections}: {@code callback.call(count, upstream, state)}. */
    public void backendConnections(Consumer<GaugeWithCallback.Callback> source) {
        this.backendConnections = source;
    }
}
