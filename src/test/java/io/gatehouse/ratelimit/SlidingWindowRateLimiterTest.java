package io.gatehouse.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class SlidingWindowRateLimiterTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long MILLI = 1_000_000L;

    /** A 10 s window in ten 1 s buckets: a request stays counted for 10 to 11 s. */
    private final FakeClock clock = new FakeClock(123_456_789L);
    private final SlidingWindowRateLimiter limiter =
            new SlidingWindowRateLimiter(Duration.ofSeconds(10), clock, 10, 1_000);

    @Test
    void admitsExactlyTheLimitThenRejectsWithRemainingCountingDown() {
        for (int i = 1; i <= 3; i++) {
            RateLimitDecision d = limiter.tryAcquire("alice", 3);
            assertThat(d.allowed()).isTrue();
            assertThat(d.limit()).isEqualTo(3);
            assertThat(d.remaining()).isEqualTo(3 - i);
            assertThat(d.retryAfterMillis()).isZero();
            assertThat(d.resetMillis()).isEqualTo(11_000);
        }
        RateLimitDecision rejected = limiter.tryAcquire("alice", 3);
        assertThat(rejected.allowed()).isFalse();
        assertThat(rejected.remaining()).isZero();
        assertThat(rejected.retryAfterMillis()).isEqualTo(11_000);
    }

    @Test
    void retryAfterPointsAtTheExpiryOfTheOldestBucketThatMakesRoom() {
        limiter.tryAcquire("alice", 3);
        clock.advance(2 * SECOND + 300 * MILLI);
        limiter.tryAcquire("alice", 3);
        limiter.tryAcquire("alice", 3);
        clock.advance(500 * MILLI);

        // The request of bucket 0 leaves at 11 s; the two of bucket 2 at 13 s.
        RateLimitDecision d = limiter.tryAcquire("alice", 3);
        assertThat(d.allowed()).isFalse();
        assertThat(d.retryAfterMillis()).isEqualTo(11_000 - 2_800);
        assertThat(d.resetMillis()).isEqualTo(13_000 - 2_800);

        clock.advance(d.retryAfterMillis() * MILLI - 1);
        RateLimitDecision lastNanosecond = limiter.tryAcquire("alice", 3);
        assertThat(lastNanosecond.allowed()).isFalse();
        assertThat(lastNanosecond.retryAfterMillis()).isEqualTo(1);

        clock.advance(1);
        assertThat(limiter.tryAcquire("alice", 3).allowed()).isTrue();
        assertThat(limiter.tryAcquire("alice", 3).allowed()).isFalse();
    }

    @Test
    void retryAfterIsAtLeastOneMillisecondWhenRejected() {
        limiter.tryAcquire("alice", 1);
        clock.advance(11 * SECOND - 1);
        RateLimitDecision d = limiter.tryAcquire("alice", 1);
        assertThat(d.allowed()).isFalse();
        assertThat(d.retryAfterMillis()).isEqualTo(1);
    }

    @Test
    @DisplayName("RL5: rejected requests are not counted, so a hammering client recovers on schedule")
    void rejectedRequestsAreNotCountedSoAHammeringClientRecoversOnSchedule() {
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.tryAcquire("alice", 5).allowed()).isTrue();
        }
        for (long t = 0; t < 11 * SECOND; t += 100 * MILLI) {
            RateLimitDecision d = limiter.tryAcquire("alice", 5);
            assertThat(d.allowed()).isFalse();
            assertThat(d.retryAfterMillis() * MILLI).isEqualTo(11 * SECOND - t);
            clock.advance(100 * MILLI);
        }
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.tryAcquire("alice", 5).allowed()).isTrue();
        }
        assertThat(limiter.tryAcquire("alice", 5).allowed()).isFalse();
    }

    @Test
    @DisplayName("RL4: twice the limit sent across a window boundary admits only the limit")
    void twiceTheLimitAcrossAWindowBoundaryAdmitsOnlyTheLimit() {
        SlidingWindowRateLimiter minute = new SlidingWindowRateLimiter(Duration.ofMinutes(1), clock);
        List<Long> admitted = new ArrayList<>();
        long start = clock.now;
        clock.advance(59_900 * MILLI);
        admitted.addAll(burst(minute, "alice", 100, 200, start));
        clock.advance(200 * MILLI);
        admitted.addAll(burst(minute, "alice", 100, 200, start));

        assertThat(admitted).hasSize(100);
        assertAtMostLimitInAnyWindow(admitted, 100, 60 * SECOND);
        // Default 20 buckets of 3 s: the burst in the bucket [57 s, 60 s) leaves the count at 120 s.
        RateLimitDecision d = minute.tryAcquire("alice", 100);
        assertThat(d.retryAfterMillis()).isEqualTo(120_000 - 60_100);
    }

    @Test
    @DisplayName("RL4: never more than the limit in any window, over random schedules")
    void neverAdmitsMoreThanTheLimitInAnyWindowAndRefusesAtMostOneBucketEarly() {
        Random random = new Random(0x6A7E_4A5EL);
        long[] starts = {0, -1, Long.MAX_VALUE - 5 * SECOND, Long.MIN_VALUE, Long.MAX_VALUE};
        for (int run = 0; run < 400; run++) {
            int buckets = 1 + random.nextInt(30);
            long windowNanos = MILLI * (1 + random.nextInt(5_000)) + random.nextInt(1_000_000);
            windowNanos = Math.max(windowNanos, buckets);
            long limit = 1 + random.nextInt(20);
            long start = random.nextInt(3) == 0 ? random.nextLong() : starts[random.nextInt(starts.length)];
            FakeClock runClock = new FakeClock(start);
            SlidingWindowRateLimiter runLimiter =
                    new SlidingWindowRateLimiter(Duration.ofNanos(windowNanos), runClock, buckets, 10);
            long bucketNanos = runLimiter.bucketNanos();
            long countedSpan = (buckets + 1L) * bucketNanos;

            List<Long> admitted = new ArrayList<>();
            for (int i = 0; i < 600; i++) {
                runClock.advance(randomStep(random, windowNanos, bucketNanos));
                long t = runClock.now - start;
                RateLimitDecision d = runLimiter.tryAcquire("k", limit);
                if (d.allowed()) {
                    admitted.add(t);
                } else {
                    // Refused only when the limit is reached within one window plus one bucket.
                    long recent = admitted.stream().filter(a -> t - a < countedSpan).count();
                    assertThat(recent).as("run %d, refused at %d", run, t).isGreaterThanOrEqualTo(limit);
                    assertThat(d.retryAfterMillis()).isGreaterThanOrEqualTo(1);
                }
            }
            assertAtMostLimitInAnyWindow(admitted, limit, windowNanos);
        }
    }

    @Test
    @DisplayName("RL2: per-client state has a fixed size whatever the limit")
    void aLimitOfOneMillionUsesTheSameFixedSizeStateAsALimitOfOne() {
        SlidingWindowRateLimiter minute = new SlidingWindowRateLimiter(Duration.ofMinutes(1), clock);
        for (int i = 0; i < 1_000_000; i++) {
            assertThat(minute.tryAcquire("big", 1_000_000).allowed()).isTrue();
            clock.advance(50_000);
        }
        assertThat(minute.tryAcquire("big", 1_000_000).allowed()).isFalse();
        minute.tryAcquire("small", 1);

        assertThat(minute.ringLength()).isEqualTo(SlidingWindowRateLimiter.DEFAULT_BUCKETS_PER_WINDOW + 1);
        assertThat(minute.stateLength("big")).isEqualTo(minute.ringLength());
        assertThat(minute.stateLength("small")).isEqualTo(minute.ringLength());
    }

    @Test
    @DisplayName("RL2: idle clients are evicted once their requests leave the window")
    void idleKeysAreEvictedOnceTheirRequestsLeaveTheWindow() {
        SlidingWindowRateLimiter minute = new SlidingWindowRateLimiter(Duration.ofMinutes(1), clock);
        for (int i = 0; i < 100_000; i++) {
            assertThat(minute.tryAcquire("client-" + i, 10).allowed()).isTrue();
        }
        assertThat(minute.size()).isEqualTo(100_000);

        clock.advance(63 * SECOND - 1); // window + one 3 s bucket, less a nanosecond
        assertThat(minute.evictIdle()).isZero();
        assertThat(minute.size()).isEqualTo(100_000);

        clock.advance(1);
        assertThat(minute.evictIdle()).isEqualTo(100_000);
        assertThat(minute.size()).isZero();
    }

    @Test
    void anEvictedKeyStartsAfreshWithItsFullLimit() {
        limiter.tryAcquire("alice", 2);
        limiter.tryAcquire("alice", 2);
        clock.advance(11 * SECOND);
        assertThat(limiter.evictIdle()).isEqualTo(1);
        assertThat(limiter.tryAcquire("alice", 2).remaining()).isEqualTo(1);
    }

    @Test
    void aRejectedOnlyClientIsNotKeptAliveByItsRejections() {
        limiter.tryAcquire("alice", 1);
        for (int i = 0; i < 10; i++) {
            clock.advance(SECOND);
            assertThat(limiter.tryAcquire("alice", 1).allowed()).isFalse();
        }
        clock.advance(SECOND);
        assertThat(limiter.evictIdle()).isEqualTo(1);
    }

    @Test
    @DisplayName("RL2: a full key table rejects new clients but keeps serving tracked ones")
    void aFullTableRejectsNewKeysButKeepsServingTrackedOnes() {
        SlidingWindowRateLimiter small = new SlidingWindowRateLimiter(Duration.ofSeconds(10), clock, 10, 2);
        assertThat(small.tryAcquire("a", 5).allowed()).isTrue();
        assertThat(small.tryAcquire("b", 5).allowed()).isTrue();
        clock.advance(400 * MILLI);

        RateLimitDecision c = small.tryAcquire("c", 5);
        assertThat(c.allowed()).isFalse();
        assertThat(c.remaining()).isZero();
        assertThat(c.retryAfterMillis()).isEqualTo(600);
        assertThat(small.size()).isEqualTo(2);
        assertThat(small.tryAcquire("a", 5).allowed()).isTrue();

        clock.advance(11 * SECOND);
        assertThat(small.tryAcquire("c", 5).allowed()).isTrue();
        assertThat(small.size()).isLessThanOrEqualTo(2);
    }

    @Test
    @DisplayName("RL3: time comes from the monotonic nano clock, by differences only, so its wrapping changes nothing")
    void survivesTheNanoClockWrappingPastLongMaxValue() {
        FakeClock wrapping = new FakeClock(Long.MAX_VALUE - SECOND);
        SlidingWindowRateLimiter wrapped = new SlidingWindowRateLimiter(Duration.ofSeconds(10), wrapping, 10, 10);
        assertThat(wrapped.tryAcquire("alice", 2).allowed()).isTrue();
        assertThat(wrapped.tryAcquire("alice", 2).allowed()).isTrue();

        wrapping.advance(5 * SECOND);
        assertThat(wrapping.now).isNegative();
        RateLimitDecision d = wrapped.tryAcquire("alice", 2);
        assertThat(d.allowed()).isFalse();
        assertThat(d.retryAfterMillis()).isEqualTo(6_000);

        wrapping.advance(6 * SECOND);
        assertThat(wrapped.tryAcquire("alice", 2).allowed()).isTrue();
        wrapping.advance(11 * SECOND);
        assertThat(wrapped.evictIdle()).isEqualTo(1);
    }

    @Test
    void aLoweredLimitWaitsForEnoughRequestsToLeave() {
        for (int i = 0; i < 10; i++) {
            clock.advance(i == 0 ? 0 : SECOND);
            assertThat(limiter.tryAcquire("alice", 10).allowed()).isTrue();
        }
        clock.advance(500 * MILLI); // now 9.5 s: one request in each of buckets 0..9
        RateLimitDecision d = limiter.tryAcquire("alice", 4);
        assertThat(d.allowed()).isFalse();
        // Seven must leave to get under 4: the seventh is in bucket 6, which leaves at 17 s.
        assertThat(d.retryAfterMillis()).isEqualTo(17_000 - 9_500);
        assertThat(d.resetMillis()).isEqualTo(20_000 - 9_500);
    }

    @Test
    void differentKeysAreIndependent() {
        assertThat(limiter.tryAcquire("alice", 1).allowed()).isTrue();
        assertThat(limiter.tryAcquire("alice", 1).allowed()).isFalse();
        assertThat(limiter.tryAcquire("bob", 1).allowed()).isTrue();
        assertThat(limiter.tryAcquire("Alice", 1).allowed()).isTrue();
    }

    @Test
    void acquireReturnsAnAlreadyCompletedStage() {
        CompletionStage<RateLimitDecision> stage = limiter.acquire("alice", 1);
        assertThat(stage.toCompletableFuture()).isDone();
        assertThat(stage.toCompletableFuture().join().allowed()).isTrue();
        assertThat(limiter.acquire("alice", 1).toCompletableFuture().join().allowed()).isFalse();
    }

    @Test
    void concurrentCallersAdmitExactlyTheLimitInTotal() throws Exception {
        int threads = 8;
        int attemptsEach = 20_000;
        long limit = 50_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                results.add(pool.submit(() -> {
                    go.await();
                    int admitted = 0;
                    for (int i = 0; i < attemptsEach; i++) {
                        if (limiter.tryAcquire("shared", limit).allowed()) {
                            admitted++;
                        }
                    }
                    return admitted;
                }));
            }
            go.countDown();
            int total = 0;
            for (Future<Integer> f : results) {
                total += f.get(30, TimeUnit.SECONDS);
            }
            assertThat(total).isEqualTo(limit);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void evictionRacingWithNewKeysNeverAdmitsAKeyTwice() throws Exception {
        // A new entry holds no count until its first request, so the evictor may remove it under a caller's feet;
        // the caller must then retry on a fresh entry, not count on the removed one.
        int keys = 20_000;
        int threads = 4;
        SlidingWindowRateLimiter racy = new SlidingWindowRateLimiter(Duration.ofSeconds(10), clock, 10, 100_000);
        AtomicIntegerArray admitted = new AtomicIntegerArray(keys);
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(threads + 1);
        try {
            CountDownLatch go = new CountDownLatch(1);
            Future<?> evictor = pool.submit(() -> {
                go.await();
                while (!done.get()) {
                    racy.evictIdle();
                }
                return null;
            });
            List<Future<?>> callers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                List<Integer> order = new ArrayList<>();
                for (int k = 0; k < keys; k++) {
                    order.add(k);
                }
                Collections.shuffle(order, new Random(t));
                callers.add(pool.submit(() -> {
                    go.await();
                    for (int k : order) {
                        if (racy.tryAcquire("client-" + k, 1).allowed()) {
                            admitted.incrementAndGet(k);
                        }
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : callers) {
                f.get(30, TimeUnit.SECONDS);
            }
            done.set(true);
            evictor.get(30, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        for (int k = 0; k < keys; k++) {
            assertThat(admitted.get(k)).as("client-%d", k).isEqualTo(1);
        }
        assertThat(racy.size()).isEqualTo(keys);
    }

    @Test
    void rejectsLimitsOutsideTheSupportedRange() {
        assertThatThrownBy(() -> limiter.tryAcquire("alice", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> limiter.tryAcquire("alice", SlidingWindowRateLimiter.MAX_LIMIT + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(limiter.tryAcquire("alice", SlidingWindowRateLimiter.MAX_LIMIT).remaining())
                .isEqualTo(SlidingWindowRateLimiter.MAX_LIMIT - 1);
    }

    @Test
    void rejectsInvalidConstructorArguments() {
        assertThatThrownBy(() -> new SlidingWindowRateLimiter(Duration.ZERO, clock))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SlidingWindowRateLimiter(Duration.ofSeconds(-1), clock))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SlidingWindowRateLimiter(Duration.ofSeconds(1), clock, 0, 10))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SlidingWindowRateLimiter(Duration.ofSeconds(1), clock, 10, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SlidingWindowRateLimiter(Duration.ofNanos(5), clock, 10, 10))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aWindowThatDoesNotDivideEvenlyRoundsBucketsUpSoTheGuaranteeHolds() {
        SlidingWindowRateLimiter odd = new SlidingWindowRateLimiter(Duration.ofMillis(1_001), clock, 10, 10);
        assertThat(odd.bucketNanos() * 10).isGreaterThanOrEqualTo(odd.windowNanos());
        assertThat(odd.bucketNanos()).isEqualTo(100_100_000L);
    }

    private List<Long> burst(SlidingWindowRateLimiter l, String key, long limit, int requests, long start) {
        List<Long> admitted = new ArrayList<>();
        for (int i = 0; i < requests; i++) {
            if (l.tryAcquire(key, limit).allowed()) {
                admitted.add(clock.now - start);
            }
        }
        return admitted;
    }

    /** Bursts, small steps, and jumps to just before or after bucket and window boundaries. */
    private static long randomStep(Random random, long windowNanos, long bucketNanos) {
        switch (random.nextInt(6)) {
            case 0:
                return 0;
            case 1:
                return 1 + random.nextInt(1_000);
            case 2:
                return Math.floorMod(random.nextLong(), bucketNanos);
            case 3:
                return windowNanos - 1 + random.nextInt(3);
            case 4:
                return bucketNanos - 1 + random.nextInt(3);
            default:
                return Math.floorMod(random.nextLong(), 2 * windowNanos);
        }
    }

    @Test
    @DisplayName("RL2: a million distinct clients never hold more than maxKeys entries, and all are evicted when idle")
    void aMillionDistinctClientsKeepTheTableBoundedAndAreEvicted() {
        SlidingWindowRateLimiter bounded = new SlidingWindowRateLimiter(Duration.ofSeconds(10), clock, 10, 10_000);
        for (int i = 0; i < 1_000_000; i++) {
            bounded.tryAcquire("client-" + i, 5);
            if (i % 1000 == 0) {
                clock.advance(MILLI);
            }
        }
        assertThat(bounded.size()).isLessThanOrEqualTo(10_000);
        clock.advance(11 * SECOND);
        bounded.evictIdle();
        assertThat(bounded.size()).isZero();
    }

    @Test
    @DisplayName("RL3: decisions follow only the injected monotonic clock: with it frozen, real time passing changes nothing")
    void decisionsFollowOnlyTheInjectedMonotonicClock() throws Exception {
        FakeClock frozen = new FakeClock(42);
        SlidingWindowRateLimiter limiter = new SlidingWindowRateLimiter(Duration.ofMillis(20), frozen, 2, 10);
        assertThat(limiter.tryAcquire("alice", 1).allowed()).isTrue();
        long retryAfter = limiter.tryAcquire("alice", 1).retryAfterMillis();
        Thread.sleep(60); // three windows of wall-clock and nanoTime, but not of the limiter's clock
        RateLimitDecision d = limiter.tryAcquire("alice", 1);
        assertThat(d.allowed()).isFalse();
        assertThat(d.retryAfterMillis()).isEqualTo(retryAfter);
        assertThat(limiter.evictIdle()).isZero();
        frozen.advance(30 * MILLI);
        assertThat(limiter.tryAcquire("alice", 1).allowed()).isTrue();
    }

    /** Brute force: for each admitted time t, the admitted times in [t, t + window] number at most limit. */
    private static void assertAtMostLimitInAnyWindow(List<Long> admitted, long limit, long windowNanos) {
        int end = 0;
        for (int i = 0; i < admitted.size(); i++) {
            end = Math.max(end, i);
            while (end < admitted.size() && admitted.get(end) - admitted.get(i) <= windowNanos) {
                end++;
            }
            assertThat((long) end - i).as("admitted in the window starting at %d", admitted.get(i))
                    .isLessThanOrEqualTo(limit);
        }
    }

    private static final class FakeClock implements LongSupplier {
        volatile long now;

        FakeClock(long start) {
            this.now = start;
        }

        void advance(long nanos) {
            now += nanos;
        }

        @Override
        public long getAsLong() {
            return now;
        }
    }
}
