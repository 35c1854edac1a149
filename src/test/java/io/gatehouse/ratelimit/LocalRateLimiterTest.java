package io.gatehouse.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.gatehouse.config.RateLimitPolicyConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

class LocalRateLimiterTest {

    private static final long SECOND = 1_000_000_000L;
    private static final RateLimitPolicyConfig BURST = new RateLimitPolicyConfig("burst", 3, Duration.ofSeconds(1));
    private static final RateLimitPolicyConfig DAILY = new RateLimitPolicyConfig("daily", 5, Duration.ofHours(24));
    private static final List<RateLimitPolicyConfig> STACKED = List.of(BURST, DAILY);

    private final FakeClock clock = new FakeClock(987_654_321L);
    private final LocalRateLimiter limiter = new LocalRateLimiter(clock);

    @Test
    void admitsOnlyWhatFitsEveryPolicyAndCountsItInEach() {
        for (int i = 1; i <= 3; i++) {
            RateLimitResult r = limiter.decideNow("partner", STACKED);
            assertThat(r.allowed()).isTrue();
            assertThat(remaining(r)).containsExactly(3L - i, 5L - i);
        }
        RateLimitResult refused = limiter.decideNow("partner", STACKED);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.violated()).containsExactly("burst");
        assertThat(remaining(refused)).containsExactly(0L, 2L);
        assertThat(refused.applied().get(0).decision().retryAfterMillis()).isBetween(1L, 1_050L);
    }

    @Test
    @DisplayName("All or nothing: burst fine but daily exhausted → refused, and the burst budget is untouched")
    void aRequestRefusedByTheDailyQuotaSpendsNothingOfTheBurst() {
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.decideNow("partner", STACKED).allowed()).isTrue();
            clock.advance(2 * SECOND);
        }
        for (int i = 0; i < 10; i++) {
            RateLimitResult refused = limiter.decideNow("partner", STACKED);
            assertThat(refused.allowed()).isFalse();
            assertThat(refused.violated()).containsExactly("daily");
            // The burst policy would admit, counts nothing, and says so: its whole budget is left.
            assertThat(refused.applied().get(0).decision().allowed()).isTrue();
            assertThat(refused.applied().get(0).decision().remaining()).isEqualTo(3);
        }
        // The burst policy on its own still has all of it.
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.decideNow("partner", List.of(BURST)).allowed()).isTrue();
        }
        assertThat(limiter.decideNow("partner", List.of(BURST)).allowed()).isFalse();
    }

    @Test
    void aRequestRefusedByTheBurstSpendsNothingOfTheDailyQuota() {
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.decideNow("partner", STACKED).allowed()).isTrue();
        }
        for (int i = 0; i < 100; i++) {
            assertThat(limiter.decideNow("partner", STACKED).violated()).containsExactly("burst");
        }
        clock.advance(2 * SECOND);
        RateLimitResult later = limiter.decideNow("partner", STACKED);
        assertThat(later.allowed()).isTrue();
        assertThat(remaining(later)).containsExactly(2L, 1L);
    }

    @Test
    void reportsEveryPolicyThatRefusesAndTheLongestWait() {
        RateLimitPolicyConfig one = new RateLimitPolicyConfig("one", 1, Duration.ofSeconds(10));
        RateLimitPolicyConfig two = new RateLimitPolicyConfig("two", 1, Duration.ofSeconds(100));
        assertThat(limiter.decideNow("c", List.of(one, two)).allowed()).isTrue();

        RateLimitResult refused = limiter.decideNow("c", List.of(one, two));

        assertThat(refused.violated()).containsExactly("one", "two");
        assertThat(refused.retryAfterMillis()).isEqualTo(refused.applied().get(1).decision().retryAfterMillis())
                .isGreaterThan(100_000);
    }

    @Test
    void keepsTheOrderThePoliciesWereGivenIn() {
        RateLimitResult r = limiter.decideNow("c", List.of(DAILY, BURST));
        assertThat(r.applied()).extracting(a -> a.policy().name()).containsExactly("daily", "burst");
    }

    @Test
    void countsEachClientApart() {
        for (int i = 0; i < 3; i++) {
            limiter.decideNow("alice", STACKED);
        }
        assertThat(limiter.decideNow("alice", STACKED).allowed()).isFalse();
        assertThat(limiter.decideNow("bob", STACKED).allowed()).isTrue();
    }

    @Test
    @DisplayName("RL2: per-client state is O(1) per policy whatever the limit")
    void perClientStateIsTheSameFixedSizeForEveryPolicyWhateverTheLimit() {
        RateLimitPolicyConfig huge = new RateLimitPolicyConfig("huge", 1_000_000_000L, Duration.ofDays(31));
        limiter.decideNow("c", List.of(BURST, DAILY, huge));
        for (RateLimitPolicyConfig p : List.of(BURST, DAILY, huge)) {
            assertThat(limiter.stateLength(p, "c")).isEqualTo(SlidingWindowRateLimiter.DEFAULT_BUCKETS_PER_WINDOW + 1);
        }
    }

    @Test
    void rejectsTwoPoliciesOfOneName() {
        RateLimitPolicyConfig other = new RateLimitPolicyConfig("burst", 9, Duration.ofSeconds(9));
        assertThatThrownBy(() -> limiter.decideNow("c", List.of(BURST, other)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("Reloads keep counters: an unchanged policy keeps every client's state, a changed one starts fresh")
    void retainKeepsTheCountersOfUnchangedPoliciesAndDropsTheOthers() {
        for (int i = 0; i < 3; i++) {
            limiter.decideNow("partner", STACKED);
        }
        RateLimitPolicyConfig dailyRaised = new RateLimitPolicyConfig("daily", 6, Duration.ofHours(24));

        limiter.retain(List.of(BURST, dailyRaised));

        RateLimitResult r = limiter.decideNow("partner", List.of(BURST, dailyRaised));
        assertThat(r.violated()).containsExactly("burst");
        assertThat(remaining(r)).containsExactly(0L, 6L);
        assertThat(limiter.size(DAILY)).isZero();
    }

    @Test
    void theDefaultPolicysCountersBelongToItsWindowSoAChangedKeyLimitAppliesToWhatWasCounted() {
        RateLimitPolicyConfig five = RateLimitPolicyConfig.defaultPolicy(5, Duration.ofSeconds(60));
        RateLimitPolicyConfig two = RateLimitPolicyConfig.defaultPolicy(2, Duration.ofSeconds(60));
        for (int i = 0; i < 2; i++) {
            assertThat(limiter.decideNow("c", List.of(five)).allowed()).isTrue();
        }
        limiter.retain(List.of(two));

        assertThat(limiter.decideNow("c", List.of(two)).allowed()).isFalse();
        RateLimitPolicyConfig longer = RateLimitPolicyConfig.defaultPolicy(2, Duration.ofSeconds(120));
        limiter.retain(List.of(longer));
        assertThat(limiter.decideNow("c", List.of(longer)).allowed()).isTrue();
    }

    @Test
    void evictIdleDropsIdleClientsAndStoresNoConfigUsesAnyMore() {
        limiter.retain(List.of(BURST));
        limiter.decideNow("c", List.of(BURST));
        // A request of an older config, still in flight during the reload, creates a store for its policy.
        limiter.decideNow("c", List.of(DAILY));
        assertThat(limiter.size(DAILY)).isEqualTo(1);

        clock.advance(3 * SECOND);
        limiter.evictIdle();

        assertThat(limiter.size(DAILY)).isZero();
        assertThat(limiter.size(BURST)).isZero();
    }

    @Test
    @DisplayName("All or nothing under concurrency: 64 threads on a key never admit more than the tightest policy")
    void sixtyFourThreadsOnAKeyNeverAdmitMoreThanTheTightestPolicy() throws Exception {
        // A frozen clock: nothing leaves any window, so exactly the tightest limit may be admitted per key. The
        // threads go through many keys together, each key one more race at the moment its limit is reached.
        RateLimitPolicyConfig burst = new RateLimitPolicyConfig("burst", 5, Duration.ofSeconds(1));
        RateLimitPolicyConfig hourly = new RateLimitPolicyConfig("hourly", 3, Duration.ofHours(1));
        RateLimitPolicyConfig daily = new RateLimitPolicyConfig("daily", 10, Duration.ofHours(24));
        List<RateLimitPolicyConfig> forward = List.of(burst, hourly, daily);
        List<RateLimitPolicyConfig> backward = List.of(daily, hourly, burst);
        int keys = 2_000;
        AtomicIntegerArray admitted = new AtomicIntegerArray(keys);
        ExecutorService pool = Executors.newFixedThreadPool(64);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < 64; t++) {
                // Half stack the policies the other way round: one lock order means no deadlock.
                List<RateLimitPolicyConfig> policies = t % 2 == 0 ? forward : backward;
                workers.add(pool.submit(() -> {
                    start.await();
                    for (int k = 0; k < keys; k++) {
                        for (int i = 0; i < 2; i++) {
                            if (limiter.decideNow("key-" + k, policies).allowed()) {
                                admitted.incrementAndGet(k);
                            }
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                for (Future<?> w : workers) {
                    w.get();
                }
            });
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
        for (int k = 0; k < keys; k++) {
            assertThat(admitted.get(k)).as("key-%d", k).isEqualTo(3);
            // Counted in every policy, exactly once per admitted request.
            assertThat(remaining(limiter.decideNow("key-" + k, forward))).as("key-%d", k)
                    .containsExactly(2L, 0L, 7L);
        }
    }

    private static List<Long> remaining(RateLimitResult r) {
        return r.applied().stream().map(a -> a.decision().remaining()).toList();
    }

    private static final class FakeClock implements LongSupplier {
        private final AtomicLong now;

        FakeClock(long start) {
            this.now = new AtomicLong(start);
        }

        void advance(long nanos) {
            now.addAndGet(nanos);
        }

        @Override
        public long getAsLong() {
            return now.get();
        }
    }
}
