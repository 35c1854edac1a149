package io.gatehouse.cache;

import io.gatehouse.config.CacheConfig;
import io.gatehouse.config.Sizes;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static io.gatehouse.testing.Await.until;
import static org.assertj.core.api.Assertions.assertThat;

/** The store: variants, freshness over time, invalidation by path, purge, eviction by weight, coalescing turns. */
class HttpCacheTest {

    private final AtomicLong clock = new AtomicLong(1_800_000_000_000L);
    private HttpCache cache = HttpCache.create(new CacheConfig(Sizes.MIB, 64 * Sizes.KIB, Map.of()), clock::get);

    @AfterEach
    void close() {
        cache.close();
    }

    private static HttpHeaders headers(String... pairs) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (int i = 0; i < pairs.length; i += 2) {
            headers.add(pairs[i], pairs[i + 1]);
        }
        return headers;
    }

    private CachedResponse response(String body, long lifetimeMillis, List<String> vary, HttpHeaders request) {
        return CachedResponse.of(200, headers("content-type", "text/plain"), body.getBytes(), clock.get(),
                clock.get(), lifetimeMillis, CacheControl.NONE, Variants.variant(vary, request));
    }

    private static CacheKey key(String path, String client) {
        return new CacheKey("/api", path, "", client);
    }

    @Test
    void aStoredResponseIsFreshForItsLifetimeThenStale() {
        CacheKey key = key("/a", "alice");
        assertThat(cache.store(key, List.of(), response("A", 10_000, List.of(), headers()), 0)).isTrue();
        CachedResponse found = cache.find(key, headers());
        assertThat(new String(found.body())).isEqualTo("A");
        assertThat(found.fresh(clock.get())).isTrue();
        clock.addAndGet(9_999);
        assertThat(found.fresh(clock.get())).isTrue();
        clock.addAndGet(1);
        assertThat(found.fresh(clock.get())).isFalse();
        assertThat(found.staleMillis(clock.get() + 500)).isEqualTo(500);
    }

    @Test
    void clientsKeysNeverMeet() {
        cache.store(key("/a", "alice"), List.of(), response("alice's", 10_000, List.of(), headers()), 0);
        assertThat(cache.find(key("/a", "bob"), headers())).isNull();
        assertThat(cache.find(key("/a", null), headers())).isNull();
    }

    @Test
    void varyPicksTheVariantByTheRequestsHeaderValues() {
        List<String> vary = List.of("accept-language");
        CacheKey key = key("/v", null);
        cache.store(key, vary, response("en", 10_000, vary, headers("accept-language", "en")), 0);
        cache.store(key, vary, response("de", 10_000, vary, headers("accept-language", "de")), 0);
        assertThat(new String(cache.find(key, headers("Accept-Language", "de")).body())).isEqualTo("de");
        assertThat(new String(cache.find(key, headers("accept-language", "en")).body())).isEqualTo("en");
        assertThat(cache.find(key, headers("accept-language", "fr"))).isNull();
        assertThat(cache.find(key, headers())).isNull();
    }

    @Test
    void anAbsentHeaderIsNotAnEmptyOneAndSpacesAroundCommasDoNotCount() {
        List<String> vary = List.of("accept");
        assertThat(Variants.variant(vary, headers())).isNotEqualTo(Variants.variant(vary, headers("accept", "")));
        assertThat(Variants.variant(vary, headers("accept", "a , b")))
                .isEqualTo(Variants.variant(vary, headers("accept", "a,b")))
                .isEqualTo(Variants.variant(vary, headers("accept", "a", "accept", "b")));
    }

    @Test
    void atMostSixteenVariantsPerUrl() {
        List<String> vary = List.of("x-v");
        CacheKey key = key("/many", null);
        for (int i = 0; i < HttpCache.MAX_VARIANTS; i++) {
            assertThat(cache.store(key, vary, response("v" + i, 10_000, vary, headers("x-v", "" + i)), 0)).isTrue();
        }
        assertThat(cache.store(key, vary, response("one more", 10_000, vary, headers("x-v", "99")), 0)).isFalse();
        assertThat(cache.find(key, headers("x-v", "99"))).isNull();
        // Replacing an existing variant is not one more.
        assertThat(cache.store(key, vary, response("again", 10_000, vary, headers("x-v", "3")), 0)).isTrue();
        assertThat(new String(cache.find(key, headers("x-v", "3")).body())).isEqualTo("again");
    }

    @Test
    void aWriteDropsThePathsEntriesForEveryQueryAndClient() {
        CacheKey alice = new CacheKey("/api", "/items", "page=1", "alice");
        CacheKey bob = new CacheKey("/api", "/items", "page=2", "bob");
        CacheKey other = new CacheKey("/api", "/other", "", "alice");
        cache.store(alice, List.of(), response("a", 10_000, List.of(), headers()), 0);
        cache.store(bob, List.of(), response("b", 10_000, List.of(), headers()), 0);
        cache.store(other, List.of(), response("o", 10_000, List.of(), headers()), 0);
        cache.invalidate("/api", "/items");
        assertThat(cache.find(alice, headers())).isNull();
        assertThat(cache.find(bob, headers())).isNull();
        assertThat(cache.find(other, headers())).isNotNull();
        // Stored again after the write: found again, and dropped again by the next write.
        cache.store(alice, List.of(), response("a2", 10_000, List.of(), headers()), 0);
        assertThat(cache.find(alice, headers())).isNotNull();
        cache.invalidate("/api", "/items");
        assertThat(cache.find(alice, headers())).isNull();
    }

    @Test
    void purgeDropsARouteOrEverything() {
        cache.store(new CacheKey("/a", "/x", "", null), List.of(), response("a", 10_000, List.of(), headers()), 0);
        cache.store(new CacheKey("/b", "/x", "", null), List.of(), response("b", 10_000, List.of(), headers()), 0);
        assertThat(cache.purge("/a")).isEqualTo(1);
        assertThat(cache.find(new CacheKey("/a", "/x", "", null), headers())).isNull();
        assertThat(cache.find(new CacheKey("/b", "/x", "", null), headers())).isNotNull();
        cache.purge();
        assertThat(cache.find(new CacheKey("/b", "/x", "", null), headers())).isNull();
    }

    @Test
    void theStoreStaysWithinMaxSizeByWeight() {
        byte[] body = new byte[60 * 1024];
        for (int i = 0; i < 40; i++) {
            CachedResponse response = CachedResponse.of(200, headers(), body, clock.get(), clock.get(), 60_000,
                    CacheControl.NONE, "");
            cache.store(key("/big" + i, null), List.of(), response, 0);
        }
        until(Duration.ofSeconds(10), "eviction down to max_size", () -> cache.weight() <= Sizes.MIB);
        assertThat(cache.entries()).isLessThan(40);
    }

    @Test
    void anEntryLeavesTheStoreOnceNeitherFreshNorKeptForStaleUse() {
        CacheKey key = key("/short", null);
        cache.store(key, List.of(), response("s", 1_000, List.of(), headers()), 5_000);
        clock.addAndGet(5_000);
        assertThat(cache.find(key, headers())).isNotNull(); // stale, kept for stale_if_error
        clock.addAndGet(1_001);
        assertThat(cache.find(key, headers())).isNull();
    }

    @Test
    void oneLeaderPerKeyTheOthersWaitOnItsFill() {
        CacheKey key = key("/c", null);
        HttpCache.Turn first = cache.turn(key, 10_000);
        HttpCache.Turn second = cache.turn(key, 10_000);
        assertThat(first.leads()).isTrue();
        assertThat(second.leads()).isFalse();
        assertThat(second.fill()).isSameAs(first.fill());
        cache.finish(key, first.fill());
        assertThat(second.fill()).isDone();
        assertThat(cache.turn(key, 10_000).leads()).isTrue();
    }

    @Test
    void aFillInFlightTooLongIsTakenOver() {
        CacheKey key = key("/lost", null);
        HttpCache.Turn lost = cache.turn(key, 1_000);
        clock.addAndGet(1_001);
        HttpCache.Turn next = cache.turn(key, 1_000);
        assertThat(next.leads()).isTrue();
        assertThat(lost.fill()).isDone(); // its waiters look again
        cache.finish(key, lost.fill()); // the lost one finishing late does not end the new fill
        assertThat(next.fill()).isNotDone();
        assertThat(cache.inFlight()).isEqualTo(1);
    }
}
