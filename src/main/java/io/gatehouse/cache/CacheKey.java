package io.gatehouse.cache;

import java.util.Objects;

/**
 * What a stored response is found by, before {@code Vary} picks among its variants: the route, the normalised
 * path, the query as {@code key_query} keeps it, and the client's identity on a route that is not shared. GET and
 * HEAD share a key: a HEAD may be answered from a GET's entry.
 *
 * @param client the client's identity, or null on a shared route
 */
public record CacheKey(String route, String path, String query, String client) {

    public CacheKey {
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(query, "query");
    }

    /** The entries a write to this path drops, whatever their query or client. */
    PathKey pathKey() {
        return new PathKey(route, path);
    }

    record PathKey(String route, String path) {
    }
}
