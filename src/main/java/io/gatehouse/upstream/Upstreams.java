package io.gatehouse.upstream;

import io.gatehouse.config.GatewayConfig;
import io.gatehouse.config.HealthCheckConfig;
import io.gatehouse.config.UpstreamConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.LongSupplier;

/**
 * Every upstream the gateway knows, across config reloads. Each load builds new {@link Upstream}s for the new
 * snapshot but keeps the {@link Endpoint} of a target whose upstream name and URL did not change — with its
 * health, breaker state and requests in flight — and keeps its health check running when the check's settings
 * did not change either. Targets that left the config stop being checked. Loads happen off the event loops.
 */
public final class Upstreams implements AutoCloseable {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Upstreams.class);

    private record Key(String upstream, URI url, io.gatehouse.config.BackendTlsConfig tls) {
    }

    private final LongSupplier clock;
    private final ScheduledExecutorService scheduler;
    /** The health checks' clients, by timeout and, for https targets, TLS settings (null for http). */
    private final Map<ClientKey, HttpClient> clients = new HashMap<>();

    private record ClientKey(Duration timeout, io.gatehouse.config.BackendTlsConfig tls) {
    }
    private Map<Key, Endpoint> endpoints = new HashMap<>();
    private Map<Key, HealthCheck> checks = new HashMap<>();
    private boolean closed;

    private Upstreams(LongSupplier clock, boolean checking) {
        this.clock = clock;
        this.scheduler = checking ? Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gatehouse-health-checks");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    /** A registry that runs the active health checks its upstreams ask for. */
    public static Upstreams checking(LongSupplier clock) {
        return new Upstreams(clock, true);
    }

    /** A registry that never checks (for {@code --check} and tests of the request path): targets stay healthy. */
    public static Upstreams withoutChecks(LongSupplier clock) {
        return new Upstreams(clock, false);
    }

    /** The upstreams of {@code config}, by name; starts and stops health checks to match it. */
    public synchronized Map<String, Upstream> load(GatewayConfig config) {
        Map<Key, Endpoint> nextEndpoints = new HashMap<>();
        Map<Key, HealthCheck> nextChecks = new HashMap<>();
        Map<String, Upstream> upstreams = new LinkedHashMap<>();
        for (UpstreamConfig uc : config.allUpstreams()) {
            if (uc.anyHttps() && !uc.tls().verify()) {
                LOG.warn("upstream {}: tls.verify is false: the certificates of its https targets are not checked,"
                        + " so anyone on the network path can pose as them", uc.name());
            }
            List<Endpoint> list = new java.util.ArrayList<>();
            for (UpstreamConfig.Target target : uc.targets()) {
                Key key = new Key(uc.name(), target.url(), uc.tls());
                Endpoint endpoint = endpoints.get(key);
                if (endpoint == null) {
                    endpoint = new Endpoint(target.url(), target.weight(), uc.circuitBreaker(), uc.tls());
                } else {
                    endpoint.reconfigure(target.weight(), uc.circuitBreaker());
                }
                nextEndpoints.put(key, endpoint);
                list.add(endpoint);
                HealthCheck check = check(key, endpoint, uc.healthCheck());
                if (check != null) {
                    nextChecks.put(key, check);
                }
            }
            upstreams.put(uc.name(), new Upstream(uc, list, clock));
        }
        for (Map.Entry<Key, HealthCheck> old : checks.entrySet()) {
            if (nextChecks.get(old.getKey()) != old.getValue()) {
                old.getValue().stop();
            }
        }
        for (Map.Entry<Key, Endpoint> old : endpoints.entrySet()) {
            if (!nextChecks.containsKey(old.getKey()) && nextEndpoints.get(old.getKey()) == old.getValue()) {
                old.getValue().healthy(true); // no longer checked: only the breaker judges it now
            }
        }
        endpoints = nextEndpoints;
        checks = nextChecks;
        return upstreams;
    }

    /** The running check for {@code key} when its settings are unchanged, a new one (started) otherwise. */
    private HealthCheck check(Key key, Endpoint endpoint, HealthCheckConfig config) {
        if (config == null || scheduler == null || closed) {
            return null;
        }
        HealthCheck running = checks.get(key);
        if (running != null && running.config().equals(config)) {
            return running;
        }
        HttpClient client = clients.computeIfAbsent(new ClientKey(config.timeout(), endpoint.address().tls()),
                k -> {
                    HttpClient.Builder builder = HttpClient.newBuilder()
                            .version(HttpClient.Version.HTTP_1_1)
                            .connectTimeout(k.timeout())
                            .followRedirects(HttpClient.Redirect.NEVER);
                    if (k.tls() != null) {
                        // The same judgement of the certificate as the proxied requests get.
                        builder.sslContext(BackendTrust.sslContext(k.tls()));
                    }
                    return builder.build();
                });
        HealthCheck check = new HealthCheck(key.upstream(), endpoint, config, client, scheduler);
        check.start();
        return check;
    }

    /** Stops every health check; the gateway is shutting down. */
    @Override
    public synchronized void close() {
        closed = true;
        checks.values().forEach(HealthCheck::stop);
        checks = new HashMap<>();
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
