package io.gatehouse.cache;

import io.gatehouse.config.CacheConfig;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.GatewayConfig;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What a reload keeps of the cache: the store and its entries when the store is alike, minus changed routes. */
class CacheRegistryTest {

    private final CacheRegistry registry = new CacheRegistry();

    @AfterEach
    void close() {
        registry.close();
    }

    private static GatewayConfig config(String maxSize, String aUpstream, String bTtl) throws Exception {
        return ConfigLoader.parse("""
                cache: { max_size: %s }
                routes:
                  - prefix: /a
                    upstream: %s
                    cache: {}
                  - prefix: /b
                    upstream: http://127.0.0.1:4002
                    cache: { ttl: %s }
                """.formatted(maxSize, aUpstream, bTtl), "gateway.yaml");
    }

    private static void put(HttpCache cache, String route) {
        CachedResponse response = CachedResponse.of(200, new DefaultHttpHeaders(), "x".getBytes(), cache.now(),
                cache.now(), 60_000, CacheControl.NONE, "");
        cache.store(new CacheKey(route, route + "/x", "", null), List.of(), response, 0);
    }

    private static boolean has(HttpCache cache, String route) {
        return cache.find(new CacheKey(route, route + "/x", "", null), new DefaultHttpHeaders()) != null;
    }

    @Test
    void aReloadKeepsTheStoreAndDropsOnlyTheRoutesThatChanged() throws Exception {
        GatewayConfig first = config("1MiB", "http://127.0.0.1:4001", "60s");
        HttpCache store = registry.storeFor(first);
        registry.committed(first, store);
        put(store, "/a");
        put(store, "/b");

        GatewayConfig same = config("1MiB", "http://127.0.0.1:4001", "60s");
        assertThat(registry.storeFor(same)).isSameAs(store);
        registry.committed(same, store);
        assertThat(has(store, "/a")).isTrue();
        assertThat(has(store, "/b")).isTrue();

        GatewayConfig retargeted = config("1MiB", "http://127.0.0.1:4009", "60s");
        registry.committed(retargeted, registry.storeFor(retargeted));
        assertThat(has(store, "/a")).as("a route moved to another backend").isFalse();
        assertThat(has(store, "/b")).isTrue();

        GatewayConfig newTtl = config("1MiB", "http://127.0.0.1:4009", "5s");
        registry.committed(newTtl, registry.storeFor(newTtl));
        assertThat(has(store, "/b")).as("a route with other cache settings").isFalse();
    }

    @Test
    void aDifferentStoreStartsEmptyAndNoCacheMeansNoStore() throws Exception {
        GatewayConfig first = config("1MiB", "http://127.0.0.1:4001", "60s");
        HttpCache store = registry.storeFor(first);
        registry.committed(first, store);
        put(store, "/a");
        GatewayConfig bigger = config("2MiB", "http://127.0.0.1:4001", "60s");
        HttpCache next = registry.storeFor(bigger);
        assertThat(next).isNotSameAs(store);
        registry.committed(bigger, next);
        assertThat(has(next, "/a")).isFalse();
        assertThat(registry.current()).isSameAs(next);

        GatewayConfig none = first.withCache(CacheConfig.NONE);
        assertThat(registry.storeFor(none)).isNull();
        registry.committed(none, null);
        assertThat(registry.current()).isNull();
    }
}
