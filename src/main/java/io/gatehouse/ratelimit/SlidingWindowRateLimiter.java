package io.gatehouse.ratelimit;

import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The sliding window of one policy, in process: per key, a ring of sub-window counters. {@link LocalRateLimiter}
 * keeps one per policy and stacks them.
 *
 * <p><b>Guarantee.</b> For every key, in <em>any</em> closed interval of length {@code window}, the number of
 * admitted requests never exceeds {@code limit}. The window is cut into {@code bucketsPerWindow} buckets of
 * {@code bucket = ceil(window / bucketsPerWindow)}; a request is admitted only if the current bucket plus the
 * previous {@code bucketsPerWindow} buckets (one more than a window, so that the bucket holding
 * {@code now - window} is covered whole) hold fewer than {@code limit} requests. The price of being strict is
 * accuracy: a request leaves the count between {@code window} and {@code window + bucket} after it was admitted,
 * so a client may be refused up to one bucket ({@code window / bucketsPerWindow}) early, never admitted early.
 *
 * <p><b>Bucket count.</b> The default, 20, makes that error 5% of the window (3 s on a 60 s window, finer than a
 * client sees through whole-second {@code Retry-After} values) while the per-key state stays at 21 {@code int}
 * counters, about 100 bytes, whatever the limit: a million tracked keys fit in a few hundred megabytes.
 *
 * <p><b>Rejected requests are not counted</b>, so a client that keeps retrying while limited is admitted again as
 * soon as its old requests leave the window, exactly as if it had waited.
 *
 * <p><b>Time</b> comes from the injected monotonic {@code nanoClock} ({@code System::nanoTime} in production),
 * only ever through differences from the value read at construction, so its origin and overflow do not matter.
 *
 * <p><b>Memory.</b> A key's entry is evicted once every request it counted has left the window (so at the latest
 * {@code window + bucket} after its last admitted request); evicting it changes no future decision. Eviction
 * runs from {@link #evictIdle()} (meant for a scheduler, off the event loops) and, in small non-blocking steps,
 * from one {@code tryAcquire} call in 64. At most {@code maxKeys} keys are tracked. When the table is full, a
 * new key triggers one bounded eviction step; if that frees no slot, the request is <b>rejected</b> (with a
 * {@code Retry-After} of the next bucket boundary, when entries can next expire) rather than admitted untracked:
 * a gateway under a flood of distinct clients keeps serving the clients it already tracks and never over-admits.
 *
 * <p><b>Threads.</b> Safe for concurrent use from any number of event loops: a lock-free map lookup and a short
 * lock on the key's own entry; there is no global lock on the hot path.
 */
public final class SlidingWindowRateLimiter {

    /** The largest supported limit; a bucket counter is an {@code int}. */
    public static final long MAX_LIMIT = 1_000_000_000L;
    public static final int DEFAULT_BUCKETS_PER_WINDOW = 20;
    public static final int MAX_BUCKETS_PER_WINDOW = 3600;
    public static final int DEFAULT_MAX_KEYS = 1_000_000;

    /** One call in 64 sweeps a step of 64 entries: on average one entry examined per call. */
    private static final int SWEEP_SAMPLE_MASK = 63;
    private static final int SWEEP_STEP = 64;
    /** A bigger step when the table is full, still bounded so that a flood of new keys cannot stall a loop. */
    private static final int SWEEP_STEP_WHEN_FULL = 1024;

    private final long windowNanos;
    private final long bucketNanos;
    private final int ringLength;
    private final int maxKeys;
    private final LongSupplier nanoClock;
    private final long origin;

    private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
    /** Slots reserved in {@link #entries}; never above {@link #maxKeys}. */
    private final AtomicInteger tracked = new AtomicInteger();
    private final ReentrantLock sweepLock = new ReentrantLock();
    /** Where the incremental sweep resumes; guarded by {@link #sweepLock}. */
    private Iterator<Map.Entry<String, Entry>> sweepCursor;

    /** A limiter with {@value #DEFAULT_BUCKETS_PER_WINDOW} buckets per window and {@value #DEFAULT_MAX_KEYS} keys. */
    public SlidingWindowRateLimiter(Duration window, LongSupplier nanoClock) {
        this(window, nanoClock, DEFAULT_BUCKETS_PER_WINDOW, DEFAULT_MAX_KEYS);
    }

    /**
     * @param window           the sliding window, positive and at least {@code bucketsPerWindow} nanoseconds
     * @param nanoClock        a monotonic nanosecond clock, e.g. {@code System::nanoTime}
     * @param bucketsPerWindow 1..{@value #MAX_BUCKETS_PER_WINDOW}; a client may be refused up to
     *                         {@code window / bucketsPerWindow} early
     * @param maxKeys          the most keys tracked at once, at least 1
     */
    public SlidingWindowRateLimiter(Duration window, LongSupplier nanoClock, int bucketsPerWindow, int maxKeys) {
        Objects.requireNonNull(window, "window");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        if (bucketsPerWindow < 1 || bucketsPerWindow > MAX_BUCKETS_PER_WINDOW) {
            throw new IllegalArgumentException(
                    "bucketsPerWindow must be in 1.." + MAX_BUCKETS_PER_WINDOW + ": " + bucketsPerWindow);
        }
        if (maxKeys < 1) {
            throw new IllegalArgumentException("maxKeys must be at least 1: " + maxKeys);
        }
        if (window.isNegative() || window.isZero() || window.compareTo(Duration.ofDays(366)) > 0) {
            throw new IllegalArgumentException("window must be positive and at most a year: " + window);
        }
        this.windowNanos = window.toNanos();
        if (windowNanos < bucketsPerWindow) {
            throw new IllegalArgumentException(
                    "window " + window + " is shorter than " + bucketsPerWindow + " nanoseconds");
        }
        this.bucketNanos = (windowNanos + bucketsPerWindow - 1) / bucketsPerWindow;
        this.ringLength = bucketsPerWindow + 1;
        this.maxKeys = maxKeys;
        this.origin = nanoClock.getAsLong();
    }

    /** Returns an already completed stage; see {@link #tryAcquire}. */
    public CompletionStage<RateLimitDecision> acquire(String key, long limit) {
        return CompletableFuture.completedStage(tryAcquire(key, limit));
    }

    /**
     * Admits and counts one request for {@code key} if fewer than {@code limit} are counted in the current window;
     * otherwise rejects it without counting it.
     *
     * @param limit 1..{@value #MAX_LIMIT}; may differ between calls (e.g. after a config reload)
     */
    public RateLimitDecision tryAcquire(String key, long limit) {
        Objects.requireNonNull(key, "key");
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be in 1.." + MAX_LIMIT + ": " + limit);
        }
        long elapsed = elapsedNanos();
        while (true) {
            Entry entry = entry(key, elapsed);
            if (entry == null) {
                return rejectUntracked(limit, elapsed);
            }
            synchronized (entry) {
                // A removed entry lost the race with eviction: counting on it would be invisible to its successor.
                if (!entry.removed) {
                    RateLimitDecision decision = peek(entry, (int) limit, elapsed);
                    if (decision.allowed()) {
                        count(entry);
                    }
                    return decision;
                }
            }
        }
    }

    /**
     * The key's entry, tracked from now on; null when the table is full. Sometimes takes a small eviction step.
     * For {@link LocalRateLimiter}, which locks the entries of several policies before it decides: lock the entry,
     * check that it was not {@code removed}, then {@link #peek} and, if every policy admits, {@link #count}.
     */
    Entry entry(String key, long elapsed) {
        if ((ThreadLocalRandom.current().nextInt() & SWEEP_SAMPLE_MASK) == 0) {
            sweep(SWEEP_STEP, elapsed);
        }
        Entry entry = entries.get(key);
        return entry != null ? entry : track(key, elapsed);
    }

    /**
     * Removes every entry whose counted requests have all left the window. Takes one short lock per entry, never a
     * global one; meant to be called from a scheduler, e.g. once per window.
     *
     * @return how many entries were removed
     */
    public int evictIdle() {
        long elapsed = elapsedNanos();
        int evicted = 0;
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            if (evictIfIdle(e.getKey(), e.getValue(), elapsed)) {
                evicted++;
            }
        }
        return evicted;
    }

    /** The number of keys tracked now. */
    public int size() {
        return entries.size();
    }

    /** Counters per key: {@code bucketsPerWindow + 1}, whatever the limit. */
    int ringLength() {
        return ringLength;
    }

    /** The length of the counter array held for {@code key}, or -1 when the key is not tracked. */
    int stateLength(String key) {
        Entry entry = entries.get(key);
        return entry == null ? -1 : entry.counts.length;
    }

    long bucketNanos() {
        return bucketNanos;
    }

    long windowNanos() {
        return windowNanos;
    }

    long elapsedNanos() {
        // A difference, never a comparison of raw values: nanoTime may start anywhere and wrap.
        return nanoClock.getAsLong() - origin;
    }

    /**
     * Must hold the entry's lock. The decision {@link #tryAcquire} would make, counting nothing: an admitting
     * decision's {@code remaining} already leaves out the request, which {@link #count} then counts. Moves the ring
     * to the current bucket (which changes no decision).
     */
    RateLimitDecision peek(Entry entry, int limit, long elapsed) {
        long bucket = Math.floorDiv(elapsed, bucketNanos);
        if (bucket < entry.head) {
            // Another thread read the clock later but took the lock first: count at the entry's newest bucket,
            // which only keeps the request counted longer.
            bucket = entry.head;
            elapsed = bucket * bucketNanos;
        }
        advance(entry, bucket);
        if (entry.total < limit) {
            return RateLimitDecision.allow(limit, limit - entry.total - 1, ceilMillis(expiry(bucket) - elapsed));
        }
        // Walk from the oldest counted bucket until enough requests will have left to make room for one more.
        long excess = (long) entry.total - limit + 1;
        long freed = 0;
        long freeing = bucket - ringLength + 1;
        while (true) {
            freed += entry.counts[index(freeing)];
            if (freed >= excess) {
                break;
            }
            freeing++;
        }
        long newest = bucket;
        while (entry.counts[index(newest)] == 0) {
            newest--;
        }
        return RateLimitDecision.reject(limit,
                ceilMillis(expiry(freeing) - elapsed), ceilMillis(expiry(newest) - elapsed));
    }

    /** Must hold the entry's lock, right after an admitting {@link #peek}: counts the request in the newest bucket. */
    void count(Entry entry) {
        entry.counts[index(entry.head)]++;
        entry.total++;
    }

    /**
     * Must hold the entry's lock, after an admitting {@link #peek}, when another policy refused the request: the
     * state as it is, with nothing counted. {@code remaining} is what would be admitted now; the reset is when the
     * newest counted request leaves the window, 0 when none is counted.
     */
    RateLimitDecision uncounted(Entry entry, int limit, long elapsed) {
        long bucket = Math.floorDiv(elapsed, bucketNanos);
        if (bucket < entry.head) {
            bucket = entry.head;
            elapsed = bucket * bucketNanos;
        }
        if (entry.total == 0) {
            return RateLimitDecision.allow(limit, limit, 0);
        }
        long newest = bucket;
        while (entry.counts[index(newest)] == 0) {
            newest--;
        }
        return RateLimitDecision.allow(limit, limit - entry.total, ceilMillis(expiry(newest) - elapsed));
    }

    /** The elapsed time at which requests counted in {@code bucket} stop being counted. */
    private long expiry(long bucket) {
        return (bucket + ringLength) * bucketNanos;
    }

    /** Moves the entry's ring forward to {@code bucket}, dropping the buckets that left it. Holds its lock. */
    private void advance(Entry entry, long bucket) {
        long gap = bucket - entry.head;
        if (gap <= 0) {
            return;
        }
        if (gap >= ringLength) {
            Arrays.fill(entry.counts, 0);
            entry.total = 0;
        } else {
            for (long b = entry.head + 1; b <= bucket; b++) {
                int i = index(b);
                entry.total -= entry.counts[i];
                entry.counts[i] = 0;
            }
        }
        entry.head = bucket;
    }

    private int index(long bucket) {
        return (int) Math.floorMod(bucket, (long) ringLength);
    }

    /** Returns the key's entry, creating it if a slot is free, or null when the table is full. */
    private Entry track(String key, long elapsed) {
        if (!reserveSlot()) {
            sweep(SWEEP_STEP_WHEN_FULL, elapsed);
            if (!reserveSlot()) {
                return entries.get(key);
            }
        }
        Entry fresh = new Entry(ringLength, Math.floorDiv(elapsed, bucketNanos));
        Entry existing = entries.putIfAbsent(key, fresh);
        if (existing != null) {
            tracked.decrementAndGet();
            return existing;
        }
        return fresh;
    }

    private boolean reserveSlot() {
        while (true) {
            int n = tracked.get();
            if (n >= maxKeys) {
                return false;
            }
            if (tracked.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** The table is full: fail closed, and point the client at the next bucket boundary, when entries can expire. */
    RateLimitDecision rejectUntracked(long limit, long elapsed) {
        long wait = ceilMillis((Math.floorDiv(elapsed, bucketNanos) + 1) * bucketNanos - elapsed);
        return RateLimitDecision.reject(limit, wait, wait);
    }

    /** Examines up to {@code budget} entries from where the last step stopped; returns at once if one is running. */
    private void sweep(int budget, long elapsed) {
        if (!sweepLock.tryLock()) {
            return;
        }
        try {
            boolean restarted = false;
            for (int i = 0; i < budget; i++) {
                if (sweepCursor == null || !sweepCursor.hasNext()) {
                    if (restarted) {
                        break;
                    }
                    sweepCursor = entries.entrySet().iterator();
                    restarted = true;
                    if (!sweepCursor.hasNext()) {
                        break;
                    }
                }
                Map.Entry<String, Entry> e = sweepCursor.next();
                evictIfIdle(e.getKey(), e.getValue(), elapsed);
            }
        } finally {
            sweepLock.unlock();
        }
    }

    private boolean evictIfIdle(String key, Entry entry, long elapsed) {
        synchronized (entry) {
            if (entry.removed) {
                return false;
            }
            advance(entry, Math.floorDiv(elapsed, bucketNanos));
            if (entry.total != 0) {
                return false;
            }
            if (!entries.remove(key, entry)) {
                return false;
            }
            entry.removed = true;
            tracked.decrementAndGet();
            return true;
        }
    }

    private static long ceilMillis(long nanos) {
        return nanos <= 0 ? 0 : (nanos - 1) / 1_000_000 + 1;
    }

    /** One key's counters; every field is guarded by the entry's own monitor. */
    static final class Entry {
        /** Requests admitted per bucket; slot {@code floorMod(b, ringLength)} holds absolute bucket {@code b}. */
        final int[] counts;
        /** The newest bucket the ring holds; the ring covers {@code head - ringLength + 1 .. head}. */
        long head;
        /** The sum of {@link #counts}. */
        int total;
        /** Set once, when eviction took the entry out of the map. */
        boolean removed;

        Entry(int ringLength, long head) {
            this.counts = new int[ringLength];
            this.head = head;
        }
    }
}
