package io.gatehouse.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * The passive, per-target circuit breaker: {@code failures} consecutive failed requests open it; it stays open for
 * {@code openFor} (doubled on each re-open, up to {@code maxOpenFor}), then lets {@code halfOpenRequests} through,
 * whose success closes it. Connect failures, resets and timeouts always count as failures, the statuses in
 * {@code failureStatuses} too; 4xx never do.
 */
public record CircuitBreakerConfig(
        boolean enabled,
        int failures,
        Set<Integer> failureStatuses,
        Duration openFor,
        Duration maxOpenFor,
        int halfOpenRequests) {

    public static final int DEFAULT_FAILURES = 5;
    public static final Set<Integer> DEFAULT_FAILURE_STATUSES = Set.of(500, 502, 503, 504);
    public static final Duration DEFAULT_OPEN_FOR = Duration.ofSeconds(30);
    public static final Duration DEFAULT_MAX_OPEN_FOR = Duration.ofMinutes(5);
    public static final int DEFAULT_HALF_OPEN_REQUESTS = 1;

    public CircuitBreakerConfig {
        failureStatuses = Set.copyOf(failureStatuses);
        Objects.requireNonNull(openFor, "openFor");
        Objects.requireNonNull(maxOpenFor, "maxOpenFor");
        if (failures < 1 || halfOpenRequests < 1) {
            throw new IllegalArgumentException("failures and halfOpenRequests must be positive");
        }
        if (maxOpenFor.compareTo(openFor) < 0) {
            throw new IllegalArgumentException("maxOpenFor is shorter than openFor");
        }
    }

    public static CircuitBreakerConfig defaults() {
        return new CircuitBreakerConfig(true, DEFAULT_FAILURES, DEFAULT_FAILURE_STATUSES, DEFAULT_OPEN_FOR,
                DEFAULT_MAX_OPEN_FOR, DEFAULT_HALF_OPEN_REQUESTS);
    }

    /** Whether a response with this status counts as a failure of its target. */
    public boolean isFailure(int status) {
        return failureStatuses.contains(status);
    }
}
