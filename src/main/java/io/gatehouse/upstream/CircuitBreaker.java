package io.gatehouse.upstream;

import io.gatehouse.config.CircuitBreakerConfig;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The passive breaker of one target, fed by real traffic. Closed, it counts consecutive failures and opens at
 * {@code failures}; open, it refuses every request until {@code open_for} has passed; then half-open, it lets
 * {@code half_open_requests} probes through: a probe's success closes it (and the next opening starts from
 * {@code open_for} again), a probe's failure opens it for twice as long as last time, up to {@code max_open_for}.
 * Outcomes of requests that were let through before it opened change nothing while it is open or half-open.
 * <p>
 * Shared by every event loop; state changes are compare-and-set on an immutable phase, so nothing takes a lock,
 * and a closed breaker costs a volatile read per request and a write only when the failure count changes.
 */
public final class CircuitBreaker {

    /** What a request was let through as: refused, a normal request of a closed breaker, or a half-open probe. */
    public enum Admission { REFUSED, CLOSED, PROBE }

    private enum State { CLOSED, OPEN, HALF_OPEN }

    /** One state of the breaker; {@code openForNanos} is the length of the last (or current) opening. */
    private record Phase(State state, long untilNanos, long openForNanos) {
    }

    private static final Phase CLOSED = new Phase(State.CLOSED, 0, 0);

    private volatile CircuitBreakerConfig config;
    private final AtomicReference<Phase> phase = new AtomicReference<>(CLOSED);
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final AtomicInteger probesLeft = new AtomicInteger();

    public CircuitBreaker(CircuitBreakerConfig config) {
        this.config = config;
    }

    /** A reload gave new settings; the state is kept. */
    void reconfigure(CircuitBreakerConfig next) {
        this.config = next;
        if (!next.enabled()) {
            phase.set(CLOSED);
            consecutiveFailures.set(0);
        }
    }

    /** Whether a request could be let through now, without taking a probe. */
    public boolean available(long nowNanos) {
        Phase p = phase.get();
        return switch (p.state) {
            case CLOSED -> true;
            case OPEN -> nowNanos - p.untilNanos >= 0;
            case HALF_OPEN -> probesLeft.get() > 0;
        };
    }

    /** Takes the right to send one request: always when closed; when half-open, one of the probes. */
    public Admission tryAcquire(long nowNanos) {
        while (true) {
            Phase p = phase.get();
            switch (p.state) {
                case CLOSED:
                    return Admission.CLOSED;
                case OPEN:
                    if (nowNanos - p.untilNanos < 0) {
                        return Admission.REFUSED;
                    }
                    Phase half = new Phase(State.HALF_OPEN, 0, p.openForNanos);
                    if (phase.compareAndSet(p, half)) {
                        probesLeft.set(config.halfOpenRequests());
                    }
                    continue;
                default:
                    while (true) {
                        int left = probesLeft.get();
                        if (left <= 0) {
                            return Admission.REFUSED;
                        }
                        if (probesLeft.compareAndSet(left, left - 1)) {
                            // The phase may have moved on meanwhile; then this is a plain request of that phase.
                            return phase.get() == p ? Admission.PROBE : Admission.REFUSED;
                        }
                    }
            }
        }
    }

    /** The request answered without a failure. */
    public void onSuccess(Admission admission) {
        if (admission == Admission.PROBE) {
            Phase p = phase.get();
            if (p.state == State.HALF_OPEN && phase.compareAndSet(p, CLOSED)) {
                consecutiveFailures.set(0);
            }
        } else if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
    }

    /** The request failed (connect failure, reset, timeout, or a failure status). */
    public void onFailure(Admission admission, long nowNanos) {
        CircuitBreakerConfig c = config;
        if (!c.enabled()) {
            return;
        }
        Phase p = phase.get();
        if (admission == Admission.PROBE) {
            if (p.state == State.HALF_OPEN) {
                long next = Math.min(p.openForNanos * 2, c.maxOpenFor().toNanos());
                phase.compareAndSet(p, new Phase(State.OPEN, nowNanos + next, next));
            }
            return;
        }
        if (p.state == State.CLOSED && consecutiveFailures.incrementAndGet() >= c.failures()) {
            long openFor = c.openFor().toNanos();
            if (phase.compareAndSet(p, new Phase(State.OPEN, nowNanos + openFor, openFor))) {
                consecutiveFailures.set(0);
            }
        }
    }

    /** The request ended with no outcome (the client went away): a probe it held goes back. */
    public void onCancel(Admission admission) {
        if (admission == Admission.PROBE && phase.get().state == State.HALF_OPEN) {
            probesLeft.incrementAndGet();
        }
    }

    /** How long it stays open from {@code nowNanos}; 0 when not open. */
    public long openRemainingNanos(long nowNanos) {
        Phase p = phase.get();
        return p.state == State.OPEN ? Math.max(0, p.untilNanos - nowNanos) : 0;
    }

    /** {@code closed}, {@code open} or {@code half_open}, for logs and metrics. */
    public String state() {
        return phase.get().state.name().toLowerCase(java.util.Locale.ROOT);
    }
}
