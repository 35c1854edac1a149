package io.gatehouse.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The response cache's store ({@code cache}) and each route's caching ({@code routes[].cache}), by route prefix.
 * Without a {@code cache} section nothing is cached anywhere ({@link #NONE}).
 *
 * @param maxSize   the bytes of cached heads and bodies the store holds at most; 0 for no store
 * @param maxObject the largest response that is stored; larger ones stream through unstored
 * @param routes    the caching of each route that has it, by prefix
 */
public record CacheConfig(long maxSize, long maxObject, Map<String, RouteCacheConfig> routes) {

    public static final long DEFAULT_MAX_SIZE = 256 * Sizes.MIB;
    public static final long DEFAULT_MAX_OBJECT = Sizes.MIB;
    public static final CacheConfig NONE = new CacheConfig(0, 0, Map.of());

    public CacheConfig {
        if (maxSize < 0 || maxObject < 0 || maxObject > maxSize) {
            throw new IllegalArgumentException("need 0 <= maxObject <= maxSize, got " + maxObject + ", " + maxSize);
        }
        routes = Collections.unmodifiableMap(new LinkedHashMap<>(routes));
    }

    /** Whether there is a store at all. */
    public boolean enabled() {
        return maxSize > 0;
    }

    /** The caching of the route with {@code prefix}, or null when it caches nothing. */
    public RouteCacheConfig route(String prefix) {
        return enabled() ? routes.get(prefix) : null;
    }

    /** The same store with a route's caching set, for tests. */
    public CacheConfig withRoute(String prefix, RouteCacheConfig route) {
        Map<String, RouteCacheConfig> next = new LinkedHashMap<>(routes);
        next.put(prefix, route);
        return new CacheConfig(maxSize, maxObject, next);
    }

    /** Whether the store itself is configured alike (its size limits): entries survive a reload only then. */
    public boolean sameStore(CacheConfig other) {
        return maxSize == other.maxSize && maxObject == other.maxObject;
    }
}
