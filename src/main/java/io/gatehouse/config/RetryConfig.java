package io.gatehouse.config;

import java.util.Set;

/**
 * When a failed attempt is tried again: at most {@code attempts} more times, each on another target when there is
 * one, on the listed outcomes and statuses, and only while the upstream's retries in flight stay within
 * {@code max(3, budgetPercent% of its requests in flight)}.
 */
public record RetryConfig(
        int attempts,
        Set<Outcome> on,
        Set<Integer> onStatuses,
        int budgetPercent) {

    /** Attempt outcomes that are not a status. */
    public enum Outcome {
        /** No connection could be made: nothing of the request left the gateway. */
        CONNECT_FAILURE,
        /** The connection ended or failed before any response byte. */
        RESET,
        /** The backend went silent for the route's timeout before any response byte. */
        TIMEOUT
    }

    public static final int DEFAULT_ATTEMPTS = 1;
    public static final int DEFAULT_BUDGET_PERCENT = 20;
    /** Retries always allowed in flight per upstream, however few requests it has. */
    public static final int MIN_RETRIES_IN_FLIGHT = 3;

    public RetryConfig {
        on = Set.copyOf(on);
        onStatuses = Set.copyOf(onStatuses);
        if (attempts < 0 || budgetPercent < 0 || budgetPercent > 100) {
            throw new IllegalArgumentException("bad retry settings");
        }
    }

    public static RetryConfig defaults() {
        return new RetryConfig(DEFAULT_ATTEMPTS, Set.of(Outcome.CONNECT_FAILURE, Outcome.RESET),
                Set.of(502, 503, 504), DEFAULT_BUDGET_PERCENT);
    }

    /** No retries at all. */
    public static RetryConfig none() {
        return new RetryConfig(0, Set.of(), Set.of(), DEFAULT_BUDGET_PERCENT);
    }
}
