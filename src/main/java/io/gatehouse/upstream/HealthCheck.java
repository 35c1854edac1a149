package io.gatehouse.upstream;

import io.gatehouse.config.HealthCheckConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The active checks of one endpoint: {@code GET path} on its host and port, one at a time, the next one
 * {@code interval} after the last ended. Asynchronous from end to end (the JDK client's own threads do the I/O), so
 * no event loop ever waits on a check; the counters are touched by one check at a time only.
 */
final class HealthCheck {

    private static final Logger LOG = LoggerFactory.getLogger(HealthCheck.class);

    private final String upstream;
    private final Endpoint endpoint;
    private final HealthCheckConfig config;
    private final HttpClient client;
    private final ScheduledExecutorService scheduler;
    private final HttpRequest request;
    private volatile boolean stopped;
    private int passes;
    private int failures;

    HealthCheck(String upstream, Endpoint endpoint, HealthCheckConfig config, HttpClient client,
                ScheduledExecutorService scheduler) {
        this.upstream = upstream;
        this.endpoint = endpoint;
        this.config = config;
        this.client = client;
        this.scheduler = scheduler;
        URI url = endpoint.url();
        this.request = HttpRequest.newBuilder(URI.create(url.getScheme() + "://" + url.getRawAuthority() + config.path()))
                .timeout(config.timeout())
                .header("User-Agent", "gatehouse-health-check")
                .GET()
                .build();
    }

    HealthCheckConfig config() {
        return config;
    }

    /** The first check runs at once: a config's targets are checked from the moment it is loaded. */
    void start() {
        schedule(0);
    }

    void stop() {
        stopped = true;
    }

    private void schedule(long delayNanos) {
        if (stopped) {
            return;
        }
        try {
            scheduler.schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            stopped = true; // the gateway is shutting down
        }
    }

    private void check() {
        if (stopped) {
            return;
        }
        try {
            client.sendAsync(request, HttpResponse.BodyHandlers.discarding())
                    .whenComplete((response, failure) -> {
                        boolean passed = failure == null && config.passes(response.statusCode());
                        record(passed, failure == null ? "status " + response.statusCode() : failure.toString());
                        schedule(config.interval().toNanos());
                    });
        } catch (RuntimeException e) {
            record(false, e.toString());
            schedule(config.interval().toNanos());
        }
    }

    private void record(boolean passed, String detail) {
        if (stopped) {
            return;
        }
        if (passed) {
            failures = 0;
            passes++;
            if (!endpoint.healthy() && passes >= config.healthyAfter()) {
                endpoint.healthy(true);
                LOG.info("upstream {}: target {} is healthy again after {} passed checks", upstream, endpoint,
                        passes);
            }
        } else {
            passes = 0;
            failures++;
            if (endpoint.healthy() && failures >= config.unhealthyAfter()) {
                endpoint.healthy(false);
                LOG.warn("upstream {}: target {} is unhealthy after {} failed checks (last: {})", upstream,
                        endpoint, failures, detail);
            }
        }
    }
}
