package io.gatehouse.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.gatehouse.config.CacheConfig;
import io.netty.handler.codec.http.HttpHeaders;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The store of cached responses: a Caffeine cache weighed by bytes ({@code max_size}), each entry expiring when
 * the last of its variants may no longer be used, fresh or stale. Beside it, an index of the entries by route and
 * path, so that a write through the gateway drops a path's entries for every query and client at once, and the
 * fills in flight, so that concurrent misses on one key wait for one backend request.
 * <p>
 * Thread-safe; every method is cheap enough for an event loop (no I/O, no waiting). Caffeine's own upkeep runs on
 * the store's own thread, never the common pool.
 */
public final class HttpCache implements AutoCloseable {

    /** Variants of one URL stored at most; a response that would make one more is not stored. */
    public static final int MAX_VARIANTS = 16;

    private final CacheConfig config;
    private final LongSupplier clock;
    private final Cache<CacheKey, Variants> store;
    private final ConcurrentHashMap<CacheKey.PathKey, Set<CacheKey>> byPath = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<CacheKey, InFlight> inFlight = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.LongAdder joins = new java.util.concurrent.atomic.LongAdder();

    private HttpCache(CacheConfig config, LongSupplier clock, Executor executor) {
        this.config = config;
        this.clock = clock;
        this.store = Caffeine.newBuilder()
                .maximumWeight(config.maxSize())
                .weigher((CacheKey key, Variants variants) -> variants.weight())
                .expireAfter(new Expiry<CacheKey, Variants>() {
                    @Override
                    public long expireAfterCreate(CacheKey key, Variants value, long currentTime) {
                        return nanosUntil(value.keepUntil());
                    }

                    @Override
                    public long expireAfterUpdate(CacheKey key, Variants value, long currentTime,
                                                  long currentDuration) {
                        return nanosUntil(value.keepUntil());
                    }

                    @Override
                    public long expireAfterRead(CacheKey key, Variants value, long currentTime,
                                                long currentDuration) {
                        return currentDuration;
                    }
                })
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.getAsLong()))
                .executor(executor)
                .removalListener((CacheKey key, Variants value, RemovalCause cause) -> {
                    if (key != null && cause != RemovalCause.REPLACED) {
                        unindex(key);
                    }
                })
                .build();
    }

    /** The gateway's store, on the wall clock. */
    public static HttpCache create(CacheConfig config) {
        return create(config, System::currentTimeMillis);
    }

    /**
     * A store on {@code clock} (epoch milliseconds), with one daemon thread of its own for Caffeine's upkeep and
     * removal notices: they take the index's locks, which must never happen inside Caffeine's.
     */
    public static HttpCache create(CacheConfig config, LongSupplier clock) {
        // One thread at most, gone when idle: a store replaced by a reload needs no shutdown, and requests still
        // finishing on the old snapshot may go on using it.
        ThreadPoolExecutor executor = new ThreadPoolExecutor(0, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                r -> {
                    Thread thread = new Thread(r, "gatehouse-cache");
                    thread.setDaemon(true);
                    return thread;
                });
        return new HttpCache(config, clock, executor);
    }

    public CacheConfig config() {
        return config;
    }

    /** The store's clock, epoch milliseconds. */
    public long now() {
        return clock.getAsLong();
    }

    public long maxObject() {
        return config.maxObject();
    }

    private long nanosUntil(long until) {
        long millis = until - clock.getAsLong();
        return millis <= 0 ? 0 : TimeUnit.MILLISECONDS.toNanos(Math.min(millis, TimeUnit.DAYS.toMillis(3650)));
    }

    /** The stored response for a request with these headers, fresh or not; null when there is none. */
    public CachedResponse find(CacheKey key, HttpHeaders request) {
        Variants variants = store.getIfPresent(key);
        return variants == null ? null : variants.find(request);
    }

    /**
     * Stores {@code response} under {@code key} as the variant its request selected; false when it was not stored
     * (the URL has {@value #MAX_VARIANTS} other variants already).
     */
    public boolean store(CacheKey key, List<String> varyNames, CachedResponse response, long staleIfErrorMillis) {
        CacheKey.PathKey path = key.pathKey();
        while (true) {
            Set<CacheKey> keys = byPath.computeIfAbsent(path, p -> ConcurrentHashMap.newKeySet());
            synchronized (keys) {
                if (byPath.get(path) != keys) {
                    continue; // emptied and dropped meanwhile: index under the new set
                }
                keys.add(key);
                boolean[] stored = {false};
                store.asMap().compute(key, (k, existing) -> {
                    Variants base = existing != null ? existing : new Variants(varyNames, List.of(), 0);
                    Variants next = base.with(varyNames, response, MAX_VARIANTS, staleIfErrorMillis);
                    if (next == null) {
                        return existing;
                    }
                    stored[0] = true;
                    return next;
                });
                return stored[0];
            }
        }
    }

    /** Replaces {@code stale} with {@code refreshed} (a 304 revalidated it), if {@code stale} is still stored. */
    public void replace(CacheKey key, CachedResponse stale, CachedResponse refreshed, long staleIfErrorMillis) {
        store.asMap().computeIfPresent(key, (k, existing) -> existing.responses().contains(stale)
                ? existing.with(existing.varyNames(), refreshed, MAX_VARIANTS, staleIfErrorMillis)
                : existing);
    }

    /** Drops every entry of {@code path} on {@code route}, whatever its query or client. */
    public void invalidate(String route, String path) {
        CacheKey.PathKey pathKey = new CacheKey.PathKey(route, path);
        Set<CacheKey> keys = byPath.get(pathKey);
        if (keys == null) {
            return;
        }
        synchronized (keys) {
            for (CacheKey key : keys) {
                store.invalidate(key);
            }
            keys.clear();
            byPath.remove(pathKey, keys);
        }
    }

    /** Drops everything. */
    public void purge() {
        store.invalidateAll();
    }

    /** Drops every entry of the route with {@code prefix}; returns how many keys that was. */
    public int purge(String route) {
        int[] count = {0};
        store.asMap().keySet().removeIf(key -> {
            boolean match = key.route().equals(route);
            if (match) {
                count[0]++;
            }
            return match;
        });
        return count[0];
    }

    private void unindex(CacheKey key) {
        CacheKey.PathKey path = key.pathKey();
        Set<CacheKey> keys = byPath.get(path);
        if (keys == null) {
            return;
        }
        synchronized (keys) {
            if (!store.asMap().containsKey(key)) {
                keys.remove(key);
                if (keys.isEmpty()) {
                    byPath.remove(path, keys);
                }
            }
        }
    }

    /** Keys stored (each with its variants), after pending upkeep; for tests and metrics. */
    public long entries() {
        store.cleanUp();
        return store.estimatedSize();
    }

    /** Bytes held, as weighed; for tests and metrics. */
    public long weight() {
        store.cleanUp();
        return store.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
    }

    // Coalescing: one backend request for concurrent misses on one key.

    /**
     * Whose turn it is to fetch {@code key}: the caller leads a new fill ({@link Turn#leads()}), and must {@link
     * #finish} it whatever happens, or it waits on the fill in flight. A fill in flight for longer than {@code
     * abandonAfterMillis} is presumed lost and taken over, so that waiters are never stuck behind it.
     */
    public Turn turn(CacheKey key, long abandonAfterMillis) {
        long now = clock.getAsLong();
        InFlight mine = new InFlight(new CompletableFuture<>(), now);
        while (true) {
            InFlight existing = inFlight.putIfAbsent(key, mine);
            if (existing == null) {
                return new Turn(mine.done, true);
            }
            if (now - existing.started <= abandonAfterMillis) {
                joins.increment();
                return new Turn(existing.done, false);
            }
            if (inFlight.replace(key, existing, mine)) {
                existing.done.complete(null);
                return new Turn(mine.done, true);
            }
        }
    }

    /** The fill led with {@code done} is over (stored or not): its waiters look again. */
    public void finish(CacheKey key, CompletableFuture<Void> done) {
        inFlight.computeIfPresent(key, (k, current) -> current.done == done ? null : current);
        done.complete(null);
    }

    /** Requests that waited on another's fill, since the store was made. */
    public long joins() {
        return joins.sum();
    }

    /** Fills in flight; for tests. */
    int inFlight() {
        return inFlight.size();
    }

    /** @param fill completes when the fill is over; {@code leads}: the caller is the one fetching */
    public record Turn(CompletableFuture<Void> fill, boolean leads) {
    }

    private record InFlight(CompletableFuture<Void> done, long started) {
    }

    @Override
    public void close() {
        store.invalidateAll();
        inFlight.values().forEach(f -> f.done.complete(null));
    }
}
