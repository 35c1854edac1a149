package io.gatehouse.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A route's {@code cache} block.
 *
 * @param ttl          freshness for a response that gives none (no {@code s-maxage}, {@code max-age} or
 *                     {@code Expires}); zero stores only what the backend allows explicitly
 * @param shared       one entry for every client of the route; false keys each entry by the client's identity too
 * @param query        which part of the query string is part of the key
 * @param coalesce     concurrent misses on one key make one backend request
 * @param staleIfError how long past freshness a stored response may answer when the backend fails
 */
public record RouteCacheConfig(Duration ttl, boolean shared, QueryKey query, boolean coalesce,
                               Duration staleIfError) {

    public static final Duration DEFAULT_TTL = Duration.ofSeconds(60);

    public RouteCacheConfig {
        Objects.requireNonNull(ttl, "ttl");
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(staleIfError, "staleIfError");
    }

    /** Every key at its default: 60 s, per client, the whole query, coalescing, no stale answers. */
    public static RouteCacheConfig defaults() {
        return new RouteCacheConfig(DEFAULT_TTL, false, QueryKey.ALL, true, Duration.ZERO);
    }

    public RouteCacheConfig withTtl(Duration next) {
        return new RouteCacheConfig(next, shared, query, coalesce, staleIfError);
    }

    public RouteCacheConfig withShared(boolean next) {
        return new RouteCacheConfig(ttl, next, query, coalesce, staleIfError);
    }

    public RouteCacheConfig withQuery(QueryKey next) {
        return new RouteCacheConfig(ttl, shared, next, coalesce, staleIfError);
    }

    public RouteCacheConfig withCoalesce(boolean next) {
        return new RouteCacheConfig(ttl, shared, query, next, staleIfError);
    }

    public RouteCacheConfig withStaleIfError(Duration next) {
        return new RouteCacheConfig(ttl, shared, query, coalesce, next);
    }

    /**
     * {@code key_query}: the raw query byte for byte ({@code all}), none of it ({@code none}), or only the named
     * parameters, sorted by name so that {@code ?b=2&a=1} and {@code ?a=1&b=2} share an entry.
     *
     * @param names the parameters kept, sorted; empty for {@code all} and {@code none}
     */
    public record QueryKey(Mode mode, List<String> names) {

        public static final QueryKey ALL = new QueryKey(Mode.ALL, List.of());
        public static final QueryKey NONE = new QueryKey(Mode.NONE, List.of());

        public enum Mode { ALL, NONE, LISTED }

        public QueryKey {
            Objects.requireNonNull(mode, "mode");
            names = names.stream().sorted().toList();
        }

        public static QueryKey listed(List<String> names) {
            return new QueryKey(Mode.LISTED, names);
        }
    }
}
