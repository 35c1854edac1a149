package io.gatehouse.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;

/**
 * One upstream target's backend metrics, resolved once per config snapshot: a counter per outcome (all created at
 * once, so that each starts at 0 and rates work from the first scrape) and the upstream's time-to-response-head
 * histogram.
 */
public final class TargetMetrics {

    /** How an attempt on a backend ended, as the {@code outcome} label says it. */
    public enum Outcome {
        RESPONSE("response"),
        CONNECT_FAILURE("connect_failure"),
        RESET("reset"),
        TIMEOUT("timeout"),
        BAD_RESPONSE("bad_response");

        final String label;

        Outcome(String label) {
            this.label = label;
        }
    }

    private final String upstream;
    private final String target;
    private final CounterDataPoint[] outcomes = new CounterDataPoint[Outcome.values().length];
    private final DistributionDataPoint headTime;

    TargetMetrics(GatewayMetrics metrics, String upstream, String target) {
        this.upstream = upstream;
        this.target = target;
        for (Outcome outcome : Outcome.values()) {
            outcomes[outcome.ordinal()] = metrics.backendRequests.labelValues(upstream, target, outcome.label);
        }
        headTime = metrics.backendDuration.labelValues(upstream);
    }

    public String upstream() { return upstream; }
    public String target() { return target; }

    /** An attempt got a response head after {@code nanos}. */
    public void response(long nanos) {
        outcomes[Outcome.RESPONSE.ordinal()].inc();
        headTime.observe(nanos / 1e9);
    }

    /** An attempt failed before a response head. */
    public void failed(Outcome outcome) {
        outcomes[outcome.ordinal()].inc();
    }
}
