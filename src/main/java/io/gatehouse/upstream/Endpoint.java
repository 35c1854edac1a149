package io.gatehouse.upstream;

import io.gatehouse.config.CircuitBreakerConfig;

import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One target of an upstream as the gateway tracks it: where it is, its weight, its requests in flight, its circuit
 * breaker and what the active health checks last concluded. Outlives a config reload when the upstream and the
 * target URL stay the same, so a reload neither forgets a sick target nor resets a breaker.
 */
public final class Endpoint {

    private final URI url;
    private final BackendAddress address;
    private final CircuitBreaker breaker;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile int weight;
    private volatile boolean healthy = true;

    Endpoint(URI url, int weight, CircuitBreakerConfig breaker) {
        this(url, weight, breaker, io.gatehouse.config.BackendTlsConfig.DEFAULT);
    }

    Endpoint(URI url, int weight, CircuitBreakerConfig breaker, io.gatehouse.config.BackendTlsConfig tls) {
        this.url = url;
        this.address = BackendAddress.of(url, tls);
        this.weight = weight;
        this.breaker = new CircuitBreaker(breaker);
    }

    public URI url() { return url; }
    public BackendAddress address() { return address; }
    public CircuitBreaker breaker() { return breaker; }
    public int weight() { return weight; }
    public int inFlight() { return inFlight.get(); }
    public boolean healthy() { return healthy; }

    void reconfigure(int nextWeight, CircuitBreakerConfig nextBreaker) {
        weight = nextWeight;
        breaker.reconfigure(nextBreaker);
    }

    /** Set by the health checker only. */
    void healthy(boolean value) {
        healthy = value;
    }

    /** Whether it could take one more request now: healthy, breaker not refusing, under its in-flight cap. */
    boolean available(long nowNanos, int maxRequests) {
        return healthy && inFlight.get() < maxRequests && breaker.available(nowNanos);
    }

    /** Counts a request in flight if the cap allows; false when it is full. */
    boolean enter(int maxRequests) {
        if (inFlight.incrementAndGet() > maxRequests) {
            inFlight.decrementAndGet();
            return false;
        }
        return true;
    }

    void leave() {
        inFlight.decrementAndGet();
    }

    @Override
    public String toString() {
        return address.toString();
    }
}
