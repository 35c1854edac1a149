package io.gatehouse.metrics;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;

/** One cached route's lookup counts, resolved once per config snapshot: an atomic add per request. */
public final class CacheMetrics {

    private final CounterDataPoint hit;
    private final CounterDataPoint miss;
    private final CounterDataPoint stale;
    private final CounterDataPoint bypass;

    CacheMetrics(Counter lookups, String route) {
        this.hit = lookups.labelValues(route, "hit");
        this.miss = lookups.labelValues(route, "miss");
        this.stale = lookups.labelValues(route, "stale");
        this.bypass = lookups.labelValues(route, "bypass");
    }

    /** Answered from the cache, coalesced waits included. */
    public void hit() { hit.inc(); }
    /** Nothing usable stored: went to the backend. */
    public void miss() { miss.inc(); }
    /** A stale entry: revalidated, or fetched again. */
    public void stale() { stale.inc(); }
    /** Not cacheable for this request (no-store, credentials the gateway cannot check). */
    public void bypass() { bypass.inc(); }
}
