package io.gatehouse.ratelimit.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.RateLimitPolicyConfig;
import io.gatehouse.config.RedisConfig;
import io.gatehouse.config.RedisFailureMode;
import io.gatehouse.ratelimit.LocalRateLimiter;
import io.gatehouse.ratelimit.RateLimitResult;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Stacked policies in Redis: one script, one round trip, every policy decided and counted together. */
class RedisStackedPoliciesIT {

    private static final RateLimitPolicyConfig BURST = new RateLimitPolicyConfig("burst", 10, Duration.ofSeconds(60));
    private static final RateLimitPolicyConfig DAILY = new RateLimitPolicyConfig("daily", 3, Duration.ofHours(24));

    private RedisProcess redis;
    private final List<RedisRateLimiter> limiters = new ArrayList<>();

    @BeforeEach
    void startRedis() throws Exception {
        redis = RedisProcess.start();
    }

    @AfterEach
    void stopAll() {
        limiters.forEach(RedisRateLimiter::close);
        redis.close();
    }

    @Test
    @DisplayName("All or nothing in Redis: burst fine but daily exhausted → refused, and the burst budget is untouched")
    void aRequestRefusedByTheDailyQuotaSpendsNothingOfTheBurst() throws Exception {
        RedisRateLimiter limiter = start();
        List<RateLimitPolicyConfig> stacked = List.of(BURST, DAILY);
        for (int i = 0; i < 3; i++) {
            assertThat(get(limiter, "partner", stacked).allowed()).isTrue();
        }
        for (int i = 0; i < 5; i++) {
            RateLimitResult refused = get(limiter, "partner", stacked);
            assertThat(refused.allowed()).isFalse();
            assertThat(refused.violated()).containsExactly("daily");
            assertThat(refused.applied().get(0).decision().remaining()).isEqualTo(7);
            assertThat(refused.applied().get(1).decision().retryAfterMillis()).isPositive();
        }
        assertThat(countedIn(RedisRateLimiter.redisKey("partner", BURST))).isEqualTo(3);
        assertThat(countedIn(RedisRateLimiter.redisKey("partner", DAILY))).isEqualTo(3);
        assertThat(RedisRateLimiter.redisKey("partner", BURST)).isEqualTo("{gh:partner}:sw:60000000:burst:10");
    }

    @Test
    @DisplayName("All or nothing under concurrency in Redis: 64 threads on one key never pass the tightest policy")
    void sixtyFourThreadsOnOneKeyNeverAdmitMoreThanTheTightestPolicy() throws Exception {
        RedisRateLimiter limiter = start();
        RateLimitPolicyConfig burst = new RateLimitPolicyConfig("burst", 50, Duration.ofSeconds(60));
        RateLimitPolicyConfig hourly = new RateLimitPolicyConfig("hourly", 30, Duration.ofHours(1));
        RateLimitPolicyConfig daily = new RateLimitPolicyConfig("daily", 100, Duration.ofHours(24));
        List<RateLimitPolicyConfig> forward = List.of(burst, hourly, daily);
        List<RateLimitPolicyConfig> backward = List.of(daily, hourly, burst);
        AtomicInteger admitted = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(64);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < 64; t++) {
                List<RateLimitPolicyConfig> policies = t % 2 == 0 ? forward : backward;
                workers.add(pool.submit(() -> {
                    start.await();
                    List<CompletableFuture<RateLimitResult>> calls = new ArrayList<>();
                    for (int i = 0; i < 10; i++) {
                        calls.add(limiter.acquire("one-key", policies).toCompletableFuture());
                    }
                    for (CompletableFuture<RateLimitResult> call : calls) {
                        if (call.get(10, TimeUnit.SECONDS).allowed()) {
                            admitted.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> w : workers) {
                w.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
            pool.awaitTermination(10, TimeUnit.SECONDS);
        }
        assertThat(admitted.get()).isEqualTo(30);
        RateLimitResult after = get(limiter, "one-key", forward);
        assertThat(after.applied()).extracting(a -> a.decision().remaining()).containsExactly(20L, 0L, 70L);
    }

    @Test
    @DisplayName("Redis: three stacked policies still cost one round trip per request")
    void threeStackedPoliciesCostOneRoundTripPerRequest() throws Exception {
        RedisRateLimiter limiter = start();
        List<RateLimitPolicyConfig> three = List.of(BURST, DAILY,
                new RateLimitPolicyConfig("hourly", 1000, Duration.ofHours(1)));
        get(limiter, "warm-up", three);

        try (RedisProcess.Monitor monitor = redis.monitor()) {
            List<CompletableFuture<RateLimitResult>> calls = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                calls.add(limiter.acquire("client-" + (i % 7), three).toCompletableFuture());
            }
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            redis.command("ECHO", "sentinel");
            RedisProcess.await(Duration.ofSeconds(5), "the sentinel in MONITOR",
                    () -> monitor.lines().stream().anyMatch(l -> l.contains("\"sentinel\"")));
            List<String> fromClients = monitor.lines().stream()
                    .filter(l -> !l.contains(" lua]") && !l.contains("\"sentinel\""))
                    .toList();
            assertThat(fromClients).hasSize(100).allMatch(l -> l.toLowerCase().contains("\"evalsha\""));
        }
    }

    @Test
    void decidesStackedPoliciesExactlyAsTheLocalLimiterGivenTheSameClock() throws Exception {
        // Windows of 1, 2 and 4 s: buckets of 50, 100 and 200 ms, and the origin on a boundary of each.
        long origin = 1_700_000_000_000_000L;
        AtomicLong micros = new AtomicLong(origin);
        LocalRateLimiter local = new LocalRateLimiter(() -> (micros.get() - origin) * 1000);
        RedisRateLimiter shared = track(RedisRateLimiter.startWithClock(Duration.ofSeconds(1), patient(),
                System::nanoTime, micros::get));
        List<RateLimitPolicyConfig> all = List.of(
                new RateLimitPolicyConfig("a", 2, Duration.ofSeconds(1)),
                new RateLimitPolicyConfig("b", 3, Duration.ofSeconds(2)),
                new RateLimitPolicyConfig("c", 5, Duration.ofSeconds(4)));
        List<List<RateLimitPolicyConfig>> stacks = List.of(all, List.of(all.get(2), all.get(0)), List.of(all.get(1)));
        // Every local store starts now, as the Redis buckets do: on the origin.
        assertThat(local.decideNow("warm-up", all)).isEqualTo(get(shared, "warm-up", all));

        Random random = new Random(7);
        String[] clients = {"alice", "bob"};
        int allowed = 0;
        int refused = 0;
        for (int i = 0; i < 2000; i++) {
            micros.addAndGet(random.nextInt(4) == 0 ? random.nextInt(1_500_000) : random.nextInt(80_000));
            String client = clients[random.nextInt(clients.length)];
            List<RateLimitPolicyConfig> stack = stacks.get(random.nextInt(stacks.size()));
            RateLimitResult expected = local.decideNow(client, stack);
            RateLimitResult actual = get(shared, client, stack);
            assertThat(actual).as("step %d, %s, %s", i, client, stack).isEqualTo(expected);
            if (expected.allowed()) {
                allowed++;
            } else {
                refused++;
            }
        }
        assertThat(allowed).isGreaterThan(200);
        assertThat(refused).isGreaterThan(200);
    }

    private RedisRateLimiter start() {
        return track(RedisRateLimiter.start(Duration.ofSeconds(60), patient(), System::nanoTime));
    }

    private RedisConfig patient() {
        return RedisConfig.of("127.0.0.1", redis.port()).withTimeout(Duration.ofSeconds(5))
                .withOnFailure(RedisFailureMode.CLOSED);
    }

    private RedisRateLimiter track(RedisRateLimiter limiter) {
        limiters.add(limiter);
        return limiter;
    }

    private long countedIn(String key) {
        @SuppressWarnings("unchecked")
        List<Object> flat = (List<Object>) redis.command("HGETALL", key);
        long total = 0;
        for (int i = 1; i < flat.size(); i += 2) {
            total += Long.parseLong(flat.get(i).toString());
        }
        return total;
    }

    private static RateLimitResult get(RedisRateLimiter limiter, String key, List<RateLimitPolicyConfig> policies)
            throws Exception {
        return limiter.acquire(key, policies).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
}
