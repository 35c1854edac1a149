package io.gatehouse.cache;

import io.gatehouse.config.CacheConfig;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.config.RouteConfig;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The response cache across config snapshots. A reload keeps the store, and its entries, when {@code max_size}
 * and {@code max_object} did not change, and drops only the entries of routes whose config changed (another
 * upstream, other cache settings) or that are gone; a changed store starts empty. Used by the config thread only.
 */
public final class CacheRegistry implements AutoCloseable {

    private volatile HttpCache current;
    private GatewayConfig currentConfig;

    /** The store for {@code next}: the running one when it fits, a new one, or null when nothing is cached. */
    public HttpCache storeFor(GatewayConfig next) {
        CacheConfig wanted = next.cache();
        if (!wanted.enabled()) {
            return null;
        }
        if (current != null && current.config().sameStore(wanted)) {
            return current;
        }
        return HttpCache.create(wanted);
    }

    /** {@code next} now runs with {@code store} (from {@link #storeFor}): the old store or stale entries go. */
    public void committed(GatewayConfig next, HttpCache store) {
        HttpCache previous = current;
        GatewayConfig previousConfig = currentConfig;
        current = store;
        currentConfig = next;
        if (previous != null && previous != store) {
            previous.close();
            return;
        }
        if (store != null && previousConfig != null) {
            Map<String, RouteConfig> before = new HashMap<>();
            previousConfig.routes().forEach(route -> before.put(route.prefix(), route));
            for (String prefix : previousConfig.cache().routes().keySet()) {
                RouteConfig now = next.routes().stream().filter(r -> r.prefix().equals(prefix)).findFirst()
                        .orElse(null);
                if (now == null || !now.equals(before.get(prefix))
                        || !Objects.equals(previousConfig.cache().route(prefix), next.cache().route(prefix))) {
                    store.purge(prefix);
                }
            }
        }
    }

    /** The running store, or null. */
    public HttpCache current() {
        return current;
    }

    @Override
    public void close() {
        if (current != null) {
            current.close();
            current = null;
        }
    }
}
