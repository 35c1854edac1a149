package io.gatehouse.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Active health checks of an upstream's targets: {@code GET path} every {@code interval}, each with its own
 * {@code timeout} (connect and response); a target leaves after {@code unhealthyAfter} failed checks in a row and
 * comes back after {@code healthyAfter} passed ones. A check passes when the status is within
 * {@code expectLow..expectHigh}.
 */
public record HealthCheckConfig(
        String path,
        Duration interval,
        Duration timeout,
        int healthyAfter,
        int unhealthyAfter,
        int expectLow,
        int expectHigh) {

    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);
    public static final int DEFAULT_HEALTHY_AFTER = 2;
    public static final int DEFAULT_UNHEALTHY_AFTER = 3;

    public HealthCheckConfig {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(interval, "interval");
        Objects.requireNonNull(timeout, "timeout");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path must start with '/': " + path);
        }
        if (healthyAfter < 1 || unhealthyAfter < 1) {
            throw new IllegalArgumentException("healthyAfter and unhealthyAfter must be positive");
        }
        if (expectLow < 100 || expectHigh > 599 || expectLow > expectHigh) {
            throw new IllegalArgumentException("bad expect range " + expectLow + "-" + expectHigh);
        }
    }

    /** Whether a check's response status passes. */
    public boolean passes(int status) {
        return status >= expectLow && status <= expectHigh;
    }
}
