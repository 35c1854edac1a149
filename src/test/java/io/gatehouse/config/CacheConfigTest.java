package io.gatehouse.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CacheConfigTest {

    private static final String ROUTE = """
            routes:
              - prefix: /api/products
                upstream: http://127.0.0.1:4001
            """;

    @Test
    void readsTheStoreAndARoutesCache() throws Exception {
        GatewayConfig config = ConfigLoader.parse("""
                cache:
                  max_size: 64MiB
                  max_object: 512KiB
                routes:
                  - prefix: /api/products
                    upstream: http://127.0.0.1:4001
                    cache:
                      ttl: 30s
                      shared: true
                      key_query: [sort, page]
                      coalesce: false
                      stale_if_error: 5m
                  - prefix: /api/other
                    upstream: http://127.0.0.1:4002
                """, "gateway.yaml");
        CacheConfig cache = config.cache();
        assertThat(cache.maxSize()).isEqualTo(64 * Sizes.MIB);
        assertThat(cache.maxObject()).isEqualTo(512 * Sizes.KIB);
        assertThat(cache.route("/api/products")).isEqualTo(new RouteCacheConfig(Duration.ofSeconds(30), true,
                RouteCacheConfig.QueryKey.listed(List.of("page", "sort")), false, Duration.ofMinutes(5)));
        assertThat(cache.route("/api/other")).isNull();
    }

    @Test
    void defaults() throws Exception {
        GatewayConfig config = ConfigLoader.parse("""
                cache: {}
                routes:
                  - prefix: /api
                    upstream: http://127.0.0.1:4001
                    cache: {}
                """, "gateway.yaml");
        assertThat(config.cache().maxSize()).isEqualTo(256 * Sizes.MIB);
        assertThat(config.cache().maxObject()).isEqualTo(Sizes.MIB);
        assertThat(config.cache().route("/api")).isEqualTo(RouteCacheConfig.defaults());
    }

    @Test
    void withoutTheSectionNothingIsCached() throws Exception {
        GatewayConfig config = ConfigLoader.parse(ROUTE, "gateway.yaml");
        assertThat(config.cache().enabled()).isFalse();
        assertThat(config.cache().route("/api/products")).isNull();
    }

    @Test
    void aRoutesCacheNeedsTheStore() {
        assertThat(ConfigProblems.of("""
                routes:
                  - prefix: /api
                    upstream: http://127.0.0.1:4001
                    cache: { ttl: 10s }
                """)).containsExactly("gateway.yaml:4:12: a route's cache needs the top-level cache section (the"
                + " store, with max_size) (at /routes/0/cache)");
    }

    @Test
    void badValuesAreNamedWithTheirPlace() {
        List<String> problems = ConfigProblems.of("""
                cache:
                  max_size: 1MiB
                  max_object: 2MiB
                  max_entries: 5
                routes:
                  - prefix: /api
                    upstream: http://127.0.0.1:4001
                    cache:
                      ttl: forever
                      shared: maybe
                      key_query: some
                      stale_if_error: 48h
                      coalesse: true
                  - prefix: /b
                    upstream: http://127.0.0.1:4001
                    cache: { key_query: [page, page, "a=b"] }
                  - prefix: /c
                    upstream: http://127.0.0.1:4001
                    cache: { key_query: [] }
                  - prefix: /d
                    upstream: http://127.0.0.1:4001
                    cache: 60s
                """);
        assertThat(problems).containsExactly(
                "gateway.yaml:3:15: max_object must not be larger than max_size (1MiB) (at /cache/max_object)",
                "gateway.yaml:4:3: unknown key 'max_entries'; allowed keys are max_size, max_object (at /cache/max_entries)",
                "gateway.yaml:9:12: ttl: " + durationMessage("forever") + " (at /routes/0/cache/ttl)",
                "gateway.yaml:10:15: shared must be true or false, got the string 'maybe' (at /routes/0/cache/shared)",
                "gateway.yaml:11:18: key_query must be all, none or a list of query parameter names, got 'some'"
                        + " (at /routes/0/cache/key_query)",
                "gateway.yaml:12:23: stale_if_error must be between 0s and 24h, got 48h"
                        + " (at /routes/0/cache/stale_if_error)",
                "gateway.yaml:13:7: unknown key 'coalesse'; did you mean 'coalesce'? (at /routes/0/cache/coalesse)",
                "gateway.yaml:16:32: key_query names 'page' twice (at /routes/1/cache/key_query/1)",
                "gateway.yaml:16:38: key_query entries must be query parameter names (no spaces, '&', '=' or '#'),"
                        + " got 'a=b' (at /routes/1/cache/key_query/2)",
                "gateway.yaml:19:25: key_query must name at least one parameter (or be none)"
                        + " (at /routes/2/cache/key_query)",
                "gateway.yaml:22:12: cache must be a mapping (ttl, shared, key_query, coalesce, stale_if_error),"
                        + " got the string '60s' (at /routes/3/cache)");
    }

    private static String durationMessage(String text) {
        try {
            Durations.parse(text);
            return "";
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }
}
