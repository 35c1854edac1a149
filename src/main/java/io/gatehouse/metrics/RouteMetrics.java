package io.gatehouse.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One route's request metrics, resolved once per config snapshot. A request records with {@link #request}: an
 * array index by method and status, and the counter's and histogram's own atomic adds — no lock, no label lookup
 * and no allocation once a (method, status) pair has been seen. Methods outside the usual set count as
 * {@code OTHER}, so a client cannot make new series with made-up methods; statuses are 3 digits by construction.
 */
public final class RouteMetrics {

    /** The methods with a label of their own; anything else is {@code OTHER}. */
    static final String[] METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "OTHER"};
    private static final int OTHER = METHODS.length - 1;
    /** Statuses 100–599, and 0 (no response: the client went away first) counted as {@code 000}. */
    private static final int CODES = 501;
    private static final String[] CLASSES = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};

    private final GatewayMetrics metrics;
    private final String route;
    private final AtomicReferenceArray<CounterDataPoint> requests =
            new AtomicReferenceArray<>(METHODS.length * CODES);
    private final AtomicReferenceArray<DistributionDataPoint> durations =
            new AtomicReferenceArray<>(CLASSES.length);
    /** Only on the refused path, and bounded by the keys in the config. */
    private final ConcurrentHashMap<String, CounterDataPoint> rateLimited = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CounterDataPoint> authFailures = new ConcurrentHashMap<>();

    RouteMetrics(GatewayMetrics metrics, String route) {
        this.metrics = metrics;
        this.route = route;
    }

    public String label() {
        return route;
    }

    /** The index of {@code method} in the fixed set; {@code OTHER} for anything else. */
    public static int methodIndex(String method) {
        for (int i = 0; i < OTHER; i++) {
            if (METHODS[i].equals(method)) {
                return i;
            }
        }
        return OTHER;
    }

    /**
     * One request ended with {@code status} (0: no response) after {@code nanos}.
     *
     * @param method an index from {@link #methodIndex}
     */
    public void request(int method, int status, long nanos) {
        int code = status >= 100 && status <= 599 ? status - 99 : 0;
        int slot = method * CODES + code;
        CounterDataPoint counter = requests.get(slot);
        if (counter == null) {
            counter = metrics.requests.labelValues(route, METHODS[method],
                    code == 0 ? "000" : Integer.toString(status));
            requests.set(slot, counter);
        }
        counter.inc();
        int cls = code == 0 ? 0 : status / 100;
        DistributionDataPoint duration = durations.get(cls);
        if (duration == null) {
            duration = metrics.requestDuration.labelValues(route, CLASSES[cls]);
            durations.set(cls, duration);
        }
        duration.observe(nanos / 1e9);
    }

    /** A request from {@code client} (an API key's name from the config) was refused by the rate limiter. */
    public void rateLimited(String client) {
        CounterDataPoint counter = rateLimited.get(client);
        if (counter == null) {
            counter = rateLimited.computeIfAbsent(client, c -> metrics.rateLimited.labelValues(route, c));
        }
        counter.inc();
    }

    /** A request was refused by authentication; {@code reason} is one of a filter's fixed reasons. */
    public void authFailure(String reason) {
        CounterDataPoint counter = authFailures.get(reason);
        if (counter == null) {
            counter = authFailures.computeIfAbsent(reason, r -> metrics.authFailures.labelValues(route, r));
        }
        counter.inc();
    }
}
