package io.gatehouse.upstream;

import io.gatehouse.config.UpstreamConfig;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * A backend service of one config snapshot: its endpoints, the balancer that picks one per attempt, and the retry
 * budget. Endpoints are shared with the snapshots before and after it (see {@link Upstreams}); the counters here
 * are lock-free, so every event loop picks and reports without waiting for another.
 */
public final class Upstream {

    private final UpstreamConfig config;
    private final List<Endpoint> endpoints;
    private final LongSupplier clock;
    /** Round-robin: endpoint indexes in a smooth weighted order, one pass of it per sum of weights. */
    private final int[] schedule;
    /** Least-request: cumulative weights, for drawing an endpoint in proportion to its weight. */
    private final int[] cumulative;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger retries = new AtomicInteger();

    Upstream(UpstreamConfig config, List<Endpoint> endpoints, LongSupplier clock) {
        this.config = config;
        this.endpoints = List.copyOf(endpoints);
        this.clock = clock;
        int[] weights = endpoints.stream().mapToInt(Endpoint::weight).toArray();
        this.schedule = smoothWeightedOrder(weights);
        this.cumulative = new int[weights.length];
        int sum = 0;
        for (int i = 0; i < weights.length; i++) {
            sum += weights[i];
            cumulative[i] = sum;
        }
    }

    public UpstreamConfig config() { return config; }
    public String name() { return config.name(); }
    public List<Endpoint> endpoints() { return endpoints; }

    /** Now, on this upstream's clock. */
    public long now() {
        return clock.getAsLong();
    }

    /**
     * The endpoint for the next attempt, or null when none can take one. {@code avoid} (the endpoint of the attempt
     * that just failed, or null) is chosen only when no other can take the request.
     */
    public Endpoint choose(Endpoint avoid, long nowNanos) {
        Endpoint chosen = config.balance() == UpstreamConfig.Balance.ROUND_ROBIN
                ? roundRobin(avoid, nowNanos) : leastRequest(avoid, nowNanos);
        if (chosen == null && avoid != null && avoid.available(nowNanos, config.maxRequests())) {
            return avoid;
        }
        return chosen;
    }

    private Endpoint roundRobin(Endpoint avoid, long nowNanos) {
        int length = schedule.length;
        // A retry looks from where the turn is now without taking one, so it does not shift the rotation: the
        // next request still goes where its turn says.
        int start = Math.floorMod(avoid == null ? next.getAndIncrement() : next.get(), length);
        for (int i = 0; i < length; i++) {
            Endpoint e = endpoints.get(schedule[(start + i) % length]);
            if (e != avoid && e.available(nowNanos, config.maxRequests())) {
                return e;
            }
        }
        return null;
    }

    /** Power of two choices: two endpoints drawn by weight, the one with fewer requests in flight per weight. */
    private Endpoint leastRequest(Endpoint avoid, long nowNanos) {
        int n = endpoints.size();
        int max = config.maxRequests();
        if (n == 1) {
            Endpoint only = endpoints.get(0);
            return only != avoid && only.available(nowNanos, max) ? only : null;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int a = draw(random);
        int b = draw(random);
        if (b == a) {
            b = (a + 1 + random.nextInt(n - 1)) % n;
        }
        Endpoint ea = endpoints.get(a);
        Endpoint eb = endpoints.get(b);
        boolean okA = ea != avoid && ea.available(nowNanos, max);
        boolean okB = eb != avoid && eb.available(nowNanos, max);
        if (okA && okB) {
            return lessLoaded(ea, eb);
        }
        if (okA || okB) {
            return okA ? ea : eb;
        }
        // Both draws unusable: the least loaded of those that are.
        Endpoint best = null;
        for (Endpoint e : endpoints) {
            if (e != avoid && e.available(nowNanos, max) && (best == null || lessLoaded(e, best) == e)) {
                best = e;
            }
        }
        return best;
    }

    private int draw(ThreadLocalRandom random) {
        int r = random.nextInt(cumulative[cumulative.length - 1]);
        for (int i = 0; i < cumulative.length; i++) {
            if (r < cumulative[i]) {
                return i;
            }
        }
        return cumulative.length - 1;
    }

    /** Fewer requests in flight per unit of weight; {@code a} on a tie. */
    private static Endpoint lessLoaded(Endpoint a, Endpoint b) {
        return (long) b.inFlight() * a.weight() < (long) a.inFlight() * b.weight() ? b : a;
    }

    /**
     * Takes {@code endpoint} for one attempt: counts it in flight and asks its breaker. Null when it cannot take it
     * after all (full, or its breaker refused); otherwise the attempt must end with exactly one
     * {@link Lease#succeeded}, {@link Lease#failed} or {@link Lease#cancelled}.
     */
    public Lease acquire(Endpoint endpoint, long nowNanos) {
        if (!endpoint.healthy() || !endpoint.enter(config.maxRequests())) {
            return null;
        }
        CircuitBreaker.Admission admission = endpoint.breaker().tryAcquire(nowNanos);
        if (admission == CircuitBreaker.Admission.REFUSED) {
            endpoint.leave();
            return null;
        }
        return new Lease(endpoint, admission);
    }

    /** One attempt's hold on an endpoint: its place in flight and what its breaker let it through as. */
    public static final class Lease {
        private final Endpoint endpoint;
        private final CircuitBreaker.Admission admission;
        private boolean ended;

        private Lease(Endpoint endpoint, CircuitBreaker.Admission admission) {
            this.endpoint = endpoint;
            this.admission = admission;
        }

        public Endpoint endpoint() { return endpoint; }

        /** Whether this attempt is a half-open probe. */
        public boolean probe() { return admission == CircuitBreaker.Admission.PROBE; }

        public void succeeded() {
            if (end()) {
                endpoint.breaker().onSuccess(admission);
            }
        }

        public void failed(long nowNanos) {
            if (end()) {
                endpoint.breaker().onFailure(admission, nowNanos);
            }
        }

        public void cancelled() {
            if (end()) {
                endpoint.breaker().onCancel(admission);
            }
        }

        private boolean end() {
            if (ended) {
                return false;
            }
            ended = true;
            endpoint.leave();
            return true;
        }
    }

    /** A request of this upstream started (for the retry budget); pair with {@link #requestEnded}. */
    public void requestStarted() {
        requests.incrementAndGet();
    }

    public void requestEnded() {
        requests.decrementAndGet();
    }

    /**
     * Takes a place for a retry when the budget allows: retries in flight at most
     * {@code max(3, budget% of the requests in flight)}. Pair a true answer with {@link #retryEnded}.
     */
    public boolean tryStartRetry() {
        int allowed = Math.max(io.gatehouse.config.RetryConfig.MIN_RETRIES_IN_FLIGHT,
                (int) ((long) requests.get() * config.retries().budgetPercent() / 100));
        if (retries.incrementAndGet() > allowed) {
            retries.decrementAndGet();
            return false;
        }
        return true;
    }

    public void retryEnded() {
        retries.decrementAndGet();
    }

    /**
     * Seconds a client should wait before trying again when no endpoint can take a request: until the first open
     * breaker lets a probe through, or one health-check interval, or 1 s; at least 1.
     */
    public long retryAfterSeconds(long nowNanos) {
        long soonest = Long.MAX_VALUE;
        for (Endpoint e : endpoints) {
            long open = e.breaker().openRemainingNanos(nowNanos);
            if (open > 0 && e.healthy()) {
                soonest = Math.min(soonest, open);
            }
        }
        if (soonest == Long.MAX_VALUE) {
            soonest = config.healthCheck() != null && endpoints.stream().noneMatch(Endpoint::healthy)
                    ? config.healthCheck().interval().toNanos() : TimeUnit.SECONDS.toNanos(1);
        }
        return Math.max(1, (soonest + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1));
    }

    /**
     * Nginx's smooth weighted round-robin, unrolled into one cycle: weights 1:3 give b, a, b, b — each endpoint as
     * often as its weight, spread out rather than in runs.
     */
    static int[] smoothWeightedOrder(int[] weights) {
        int total = 0;
        for (int w : weights) {
            total += w;
        }
        int[] order = new int[total];
        int[] current = new int[weights.length];
        for (int slot = 0; slot < total; slot++) {
            int best = 0;
            for (int i = 0; i < weights.length; i++) {
                current[i] += weights[i];
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            order[slot] = best;
        }
        return order;
    }
}
