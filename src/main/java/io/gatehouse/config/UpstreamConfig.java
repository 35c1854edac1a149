package io.gatehouse.config;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * A backend service: its targets (instances), how requests are spread over them, and how the gateway protects it
 * and the clients when targets fail. An entry of the top-level {@code upstreams} map, or the defaults around the
 * URLs a route lists inline ({@link #inline}).
 *
 * @param name           the map key, or the route's prefix for an inline upstream
 * @param targets        at least one, URLs distinct
 * @param balance        how a target is chosen for a request
 * @param healthCheck    active checks, or null for none
 * @param circuitBreaker the passive per-target breaker
 * @param maxRequests    requests in flight per target per gateway; beyond it the target takes no more
 * @param retries        when and how often a failed attempt is tried again
 * @param inline         the route listed its URLs itself
 */
public record UpstreamConfig(
        String name,
        List<Target> targets,
        Balance balance,
        HealthCheckConfig healthCheck,
        CircuitBreakerConfig circuitBreaker,
        int maxRequests,
        RetryConfig retries,
        boolean inline,
        BackendTlsConfig tls) {

    public static final int DEFAULT_MAX_REQUESTS = 1024;
    public static final int MAX_WEIGHT = 100;

    /** How a target is picked among those that can take a request. */
    public enum Balance {
        /** Power of two choices: of two targets drawn by weight, the one with fewer requests in flight per weight. */
        LEAST_REQUEST,
        /** Each target in turn, as often as its weight says, interleaved. */
        ROUND_ROBIN
    }

    /** Whether any target is an {@code https://} URL. */
    public boolean anyHttps() {
        return targets.stream().anyMatch(t -> "https".equals(t.url().getScheme()));
    }

    /** One instance of the service: an http or https URL (host, port, optional base path) and its share of the traffic. */
    public record Target(URI url, int weight) {
        public Target {
            Objects.requireNonNull(url, "url");
            if (weight < 1 || weight > MAX_WEIGHT) {
                throw new IllegalArgumentException("weight must be 1.." + MAX_WEIGHT + ": " + weight);
            }
        }
    }

    public UpstreamConfig {
        Objects.requireNonNull(name, "name");
        targets = List.copyOf(targets);
        Objects.requireNonNull(balance, "balance");
        Objects.requireNonNull(circuitBreaker, "circuitBreaker");
        Objects.requireNonNull(retries, "retries");
        Objects.requireNonNull(tls, "tls");
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("upstream " + name + " has no targets");
        }
        if (maxRequests < 1) {
            throw new IllegalArgumentException("maxRequests must be positive: " + maxRequests);
        }
    }

    /** An upstream whose https targets, if any, are checked against the JDK's trust store. */
    public UpstreamConfig(String name, List<Target> targets, Balance balance, HealthCheckConfig healthCheck,
                          CircuitBreakerConfig circuitBreaker, int maxRequests, RetryConfig retries, boolean inline) {
        this(name, targets, balance, healthCheck, circuitBreaker, maxRequests, retries, inline,
                BackendTlsConfig.DEFAULT);
    }

    /** The upstream of a route that lists its URLs itself: weight 1 each, every option at its default. */
    public static UpstreamConfig inline(String name, List<URI> urls) {
        return new UpstreamConfig(name, urls.stream().map(u -> new Target(u, 1)).toList(), Balance.LEAST_REQUEST,
                null, CircuitBreakerConfig.defaults(), DEFAULT_MAX_REQUESTS, RetryConfig.defaults(), true);
    }

    /** The target URLs, in config order. */
    public List<URI> urls() {
        return targets.stream().map(Target::url).toList();
    }
}
