package io.gatehouse.routing;

import io.gatehouse.config.RouteConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The compiled route table: longest prefix on whole path segments, chosen on the normalised path. Immutable and
 * thread-safe; built off the event loop when config is (re)loaded and published by the config holder.
 *
 * <p>Lookup walks the path once, computing {@link String#hashCode()} of each segment-boundary prefix incrementally,
 * and probes an open-addressing table at each boundary: at most one hash lookup per segment, no allocation, no scan
 * over the routes, so 1,000 routes cost the same as 10.
 */
public final class RouteTable {

    private final List<Route> routes;
    private final Route root;
    private final Route[] slots;
    private final int[] hashes;
    private final int mask;
    private final int longestPrefix;

    private RouteTable(List<Route> routes) {
        this.routes = List.copyOf(routes);
        int capacity = Integer.highestOneBit(Math.max(1, routes.size()) * 2) * 2; // load factor at most 1/2
        this.slots = new Route[capacity];
        this.hashes = new int[capacity];
        this.mask = capacity - 1;
        Route rootRoute = null;
        int longest = 0;
        for (Route route : routes) {
            String prefix = route.prefix();
            if ("/".equals(prefix)) {
                if (rootRoute != null) {
                    throw duplicate(prefix);
                }
                rootRoute = route;
                continue;
            }
            int hash = prefix.hashCode();
            int index = spread(hash) & mask;
            while (slots[index] != null) {
                if (slots[index].prefix().equals(prefix)) {
                    throw duplicate(prefix);
                }
                index = (index + 1) & mask;
            }
            slots[index] = route;
            hashes[index] = hash;
            longest = Math.max(longest, prefix.length());
        }
        this.root = rootRoute;
        this.longestPrefix = longest;
    }

    /**
     * Compiles each config into a {@link Route}.
     *
     * @throws IllegalArgumentException on an invalid prefix or two routes with the same canonical prefix
     */
    public static RouteTable of(List<RouteConfig> configs) {
        List<Route> routes = new ArrayList<>(configs.size());
        for (RouteConfig config : configs) {
            routes.add(Route.of(config));
        }
        return new RouteTable(routes);
    }

    private static IllegalArgumentException duplicate(String prefix) {
        return new IllegalArgumentException("two routes have the prefix " + prefix);
    }

    /**
     * The route with the longest prefix covering {@code normalisedPath} on whole segments: "/api/users" matches
     * "/api/users", "/api/users/" and "/api/users/42", never "/api/usersX"; "/" matches everything.
     *
     * @param normalisedPath a {@link RequestTarget#path()}
     * @return the route, or {@code null} when nothing matches
     */
    public Route match(String normalisedPath) {
        Route best = root;
        int length = normalisedPath.length();
        int limit = Math.min(length, longestPrefix);
        int hash = 0;
        int i = 0;
        for (; i <= limit; i++) {
            // At a boundary, hash == normalisedPath.substring(0, i).hashCode().
            char c = i < length ? normalisedPath.charAt(i) : '/';
            if (c == '/' && i > 0) {
                Route found = lookup(normalisedPath, i, hash);
                if (found != null) {
                    best = found;
                }
            }
            if (i < length) {
                hash = 31 * hash + c;
            }
        }
        return best;
    }

    private Route lookup(String path, int length, int hash) {
        int index = spread(hash) & mask;
        Route route;
        while ((route = slots[index]) != null) {
            if (hashes[index] == hash && route.prefix().length() == length && path.startsWith(route.prefix())) {
                return route;
            }
            index = (index + 1) & mask;
        }
        return null;
    }

    private static int spread(int hash) {
        return hash ^ (hash >>> 16);
    }

    /** Every route in config order (used by GET /health). */
    public List<Route> routes() {
        return routes;
    }
}
