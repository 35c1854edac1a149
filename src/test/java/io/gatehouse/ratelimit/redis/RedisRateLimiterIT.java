package io.gatehouse.ratelimit.redis;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.gatehouse.config.RedisConfig;
import io.gatehouse.config.RedisFailureMode;
import io.gatehouse.ratelimit.RateLimitDecision;
import io.gatehouse.ratelimit.RateLimiterUnavailableException;
import io.gatehouse.ratelimit.SlidingWindowRateLimiter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Redis limiter against a real redis-server started here: semantics, keys, round trips, outages. */
class RedisRateLimiterIT {

    private static final Duration WINDOW = Duration.ofSeconds(1);
    private static final Duration TIMEOUT = Duration.ofMillis(50);
    /** What a loaded CI machine may add to a Redis timeout before a decision is delivered. */
    private static final long SLACK_MILLIS = 400;

    private RedisProcess redis;
    private static final Logger LIMITER_LOG = (Logger) LoggerFactory.getLogger(RedisRateLimiter.class);

    private final List<RedisRateLimiter> limiters = new ArrayList<>();
    private final List<ListAppender<ILoggingEvent>> appenders = new ArrayList<>();

    @BeforeEach
    void startRedis() throws Exception {
        redis = RedisProcess.start();
    }

    @AfterEach
    void stopAll() {
        limiters.forEach(RedisRateLimiter::close);
        appenders.forEach(LIMITER_LOG::detachAppender);
        redis.close();
    }

    @Test
    void decidesExactlyAsTheLocalLimiterGivenTheSameClock() throws Exception {
        // One monotonic clock in microseconds drives both: Redis through the script's test-only "now" argument,
        // the local limiter through its nano clock. The origin sits on a bucket boundary so both cut buckets alike.
        long origin = 1_700_000_000_000_000L;
        AtomicLong micros = new AtomicLong(origin);
        SlidingWindowRateLimiter local = new SlidingWindowRateLimiter(WINDOW,
                () -> (micros.get() - origin) * 1000);
        RedisRateLimiter shared = track(RedisRateLimiter.startWithClock(WINDOW,
                patient(), System::nanoTime, micros::get));

        Random random = new Random(42);
        String[] clients = {"alice", "bob", "carol"};
        long[] limits = {1, 3, 7};
        int allowed = 0;
        int rejected = 0;
        for (int i = 0; i < 3000; i++) {
            int step = random.nextInt(100);
            if (step < 40) {
                micros.addAndGet(random.nextInt(2000));
            } else if (step < 90) {
                micros.addAndGet(random.nextInt(60_000));
            } else if (step < 97) {
                micros.addAndGet(random.nextInt(1_200_000));
            } else {
                micros.addAndGet(random.nextInt(5_000_000));
            }
            int c = random.nextInt(clients.length);
            if (random.nextInt(200) == 0) {
                limits[c] = 1 + random.nextInt(8);
            }
            RateLimitDecision expected = local.tryAcquire(clients[c], limits[c]);
            RateLimitDecision actual = shared.acquire(clients[c], limits[c]).toCompletableFuture().get(5,
                    TimeUnit.SECONDS);
            assertThat(actual).as("step %d, client %s, limit %d", i, clients[c], limits[c]).isEqualTo(expected);
            if (expected.allowed()) {
                allowed++;
            } else {
                rejected++;
            }
        }
        assertThat(allowed).isGreaterThan(300);
        assertThat(rejected).isGreaterThan(300);
    }

    @Test
    void neverAdmitsMoreWhenTheRedisClockStepsBack() throws Exception {
        AtomicLong micros = new AtomicLong(1_700_000_000_000_000L);
        RedisRateLimiter limiter = track(RedisRateLimiter.startWithClock(WINDOW, patient(), System::nanoTime,
                micros::get));
        assertThat(get(limiter, "alice", 2).allowed()).isTrue();
        micros.addAndGet(900_000);
        assertThat(get(limiter, "alice", 2).allowed()).isTrue();

        // The clock jumps back 2 s (a Redis failover to a host with a slower clock): counting continues at the
        // newest bucket seen, so the requests already counted still count.
        micros.addAndGet(-2_000_000);
        RateLimitDecision refused = get(limiter, "alice", 2);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterMillis()).isEqualTo(150);

        micros.addAndGet(3_100_000);
        assertThat(get(limiter, "alice", 2).allowed()).isTrue();
    }

    @Test
    void admitsTheLimitOnRedisTimeAndDoesNotCountRejectedRequests() throws Exception {
        RedisRateLimiter limiter = track(RedisRateLimiter.start(WINDOW, patient(),
                System::nanoTime));

        for (int i = 0; i < 3; i++) {
            RateLimitDecision d = get(limiter, "alice", 3);
            assertThat(d.allowed()).isTrue();
            assertThat(d.remaining()).isEqualTo(2 - i);
            assertThat(d.resetMillis()).isBetween(1L, 1050L);
        }
        RateLimitDecision refused = get(limiter, "alice", 3);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfterMillis()).isBetween(1L, 1050L);
        for (int i = 0; i < 20; i++) {
            assertThat(get(limiter, "alice", 3).allowed()).isFalse();
        }
        assertThat(countedIn(limiter.redisKey("alice"))).isEqualTo(3);

        // A client that keeps retrying gets in as soon as its old requests leave the window.
        long start = System.nanoTime();
        RedisProcess.await(Duration.ofSeconds(3), "alice admitted again",
                () -> limiter.acquire("alice", 3).toCompletableFuture().join().allowed());
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThanOrEqualTo(1050 + SLACK_MILLIS);
    }

    @Test
    void keepsOneSelfExpiringHashPerClientUnderAHashTag() throws Exception {
        RedisRateLimiter limiter = track(RedisRateLimiter.start(WINDOW, patient(),
                System::nanoTime));

        get(limiter, "mobile-app", 5);
        get(limiter, "mobile-app", 5);

        assertThat(redis.command("KEYS", "*")).isEqualTo(List.of("{gh:mobile-app}:sw:1000000"));
        assertThat(redis.command("TYPE", "{gh:mobile-app}:sw:1000000")).isEqualTo("hash");
        assertThat((Long) redis.command("PTTL", "{gh:mobile-app}:sw:1000000")).isBetween(1L, 1050L);
        RedisProcess.await(Duration.ofSeconds(3), "the key to expire",
                () -> ((Long) redis.command("EXISTS", "{gh:mobile-app}:sw:1000000")) == 0);
    }

    @Test
    void makesExactlyOneRedisRoundTripPerRequest() throws Exception {
        RedisRateLimiter limiter = track(RedisRateLimiter.start(Duration.ofSeconds(60),
                patient(), System::nanoTime));
        get(limiter, "warm-up", 1);

        try (RedisProcess.Monitor monitor = redis.monitor()) {
            List<CompletableFuture<RateLimitDecision>> calls = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                calls.add(limiter.acquire("client-" + (i % 7), 20).toCompletableFuture());
            }
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            // Redis runs commands in order: once the sentinel shows, every command of the 200 calls has shown.
            redis.command("ECHO", "sentinel");
            RedisProcess.await(Duration.ofSeconds(5), "the sentinel in MONITOR",
                    () -> monitor.lines().stream().anyMatch(l -> l.contains("\"sentinel\"")));

            List<String> fromClients = monitor.lines().stream()
                    .filter(l -> !l.contains(" lua]") && !l.contains("\"sentinel\""))
                    .toList();
            assertThat(fromClients).hasSize(200).allMatch(l -> l.contains("\"EVALSHA\"")
                    || l.contains("\"evalsha\""));
        }
    }

    @Test
    void loadsTheScriptAgainAfterRedisForgetsIt() throws Exception {
        RedisRateLimiter limiter = track(RedisRateLimiter.start(Duration.ofSeconds(60),
                patient(), System::nanoTime));
        assertThat(get(limiter, "alice", 5).remaining()).isEqualTo(4);

        redis.command("SCRIPT", "FLUSH");

        assertThat(get(limiter, "alice", 5).remaining()).isEqualTo(3);
        assertThat(get(limiter, "alice", 5).remaining()).isEqualTo(2);
        assertThat(redis.command("SCRIPT", "EXISTS", RedisRateLimiter.SCRIPT_SHA)).isEqualTo(List.of(1L));
    }

    @Test
    void fallsBackToTheLocalLimiterWhileRedisIsDownLogsOnceAndResumes() throws Exception {
        ListAppender<ILoggingEvent> log = captureLog();
        RedisRateLimiter limiter = track(RedisRateLimiter.start(Duration.ofSeconds(60),
                config(RedisFailureMode.LOCAL), System::nanoTime));
        awaitShared(limiter);
        int warned = warnings(log).size();
        assertThat(get(limiter, "alice", 3).remaining()).isEqualTo(2);

        redis.stop();
        // Fresh local counters: the local limiter knows nothing of what Redis counted.
        List<RateLimitDecision> during = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            during.add(timed(limiter, "alice", 3));
        }
        assertThat(during).extracting(RateLimitDecision::allowed).containsExactly(true, true, true, false, false);
        assertThat(warnings(log)).hasSize(warned + 1);
        assertThat(warnings(log).get(warned)).contains("unavailable").contains("on_failure: local");

        redis.restart();
        awaitShared(limiter);
        // Redis restarted empty: the shared count starts again from what it sees.
        assertThat(countedIn(limiter.redisKey("probe"))).isPositive();
        assertThat(warnings(log)).hasSize(warned + 1);
        assertThat(log.list).anyMatch(e -> e.getLevel() == Level.INFO
                && e.getFormattedMessage().contains("answers again"));
    }

    @Test
    void admitsEverythingWhileRedisIsDownWhenFailingOpen() throws Exception {
        RedisRateLimiter limiter = track(RedisRateLimiter.start(Duration.ofSeconds(60),
                config(RedisFailureMode.OPEN), System::nanoTime));
        awaitShared(limiter);
        assertThat(get(limiter, "alice", 1).allowed()).isTrue();
        assertThat(get(limiter, "alice", 1).allowed()).isFalse();

        redis.stop();
        for (int i = 0; i < 5; i++) {
            RateLimitDecision d = timed(limiter, "alice", 1);
            assertThat(d.allowed()).isTrue();
            assertThat(d.limit()).isEqualTo(1);
        }

        redis.restart();
        awaitShared(limiter);
        assertThat(get(limiter, "alice", 1).allowed()).isTrue();
        assertThat(get(limiter, "alice", 1).allowed()).isFalse();
    }

    @Test
    void refusesWithUnavailableWhileRedisIsDownWhenFailingClosed() throws Exception {
        RedisRateLimiter limiter = track(RedisRateLimiter.start(Duration.ofSeconds(60),
                config(RedisFailureMode.CLOSED), System::nanoTime));
        awaitShared(limiter);
        assertThat(get(limiter, "alice", 5).allowed()).isTrue();

        redis.stop();
        for (int i = 0; i < 5; i++) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> get(limiter, "alice", 5))
                    .hasCauseInstanceOf(RateLimiterUnavailableException.class);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
                    .isLessThanOrEqualTo(TIMEOUT.toMillis() + SLACK_MILLIS);
        }

        redis.restart();
        awaitShared(limiter);
        assertThat(get(limiter, "alice", 5).remaining()).isEqualTo(4);
    }

    @Test
    void answersWithinTheTimeoutWhenRedisHangs() throws Exception {
        ListAppender<ILoggingEvent> log = captureLog();
        RedisRateLimiter limiter = track(RedisRateLimiter.start(Duration.ofSeconds(60),
                config(RedisFailureMode.LOCAL), System::nanoTime));
        awaitShared(limiter);
        int warned = warnings(log).size();

        // Redis accepts the commands but runs none for two seconds: a hung server, not a refused connection.
        redis.command("CLIENT", "PAUSE", "2000", "ALL");
        long start = System.nanoTime();
        List<CompletableFuture<RateLimitDecision>> calls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            calls.add(limiter.acquire("alice", 100).toCompletableFuture());
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new))
                .get(TIMEOUT.toMillis() + SLACK_MILLIS, TimeUnit.MILLISECONDS);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(tookMillis).isLessThan(1000);
        assertThat(calls).allMatch(c -> c.join().allowed());
        assertThat(warnings(log)).hasSize(warned + 1);

        // Once the pause ends the next probe succeeds and limits are shared again.
        awaitShared(limiter);
    }

    @Test
    void measuresTheRoundTripOfOneAcquire() throws Exception {
        RedisRateLimiter limiter = track(RedisRateLimiter.start(Duration.ofSeconds(60),
                patient(), System::nanoTime));
        int n = 5000;
        long[] nanos = new long[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            get(limiter, "client-" + (i % 50), 1_000_000);
            nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        System.out.printf("Redis acquire round trip, sequential, %d calls: p50 %d µs, p99 %d µs, max %d µs%n", n,
                nanos[n / 2] / 1000, nanos[n * 99 / 100] / 1000, nanos[n - 1] / 1000);

        int concurrent = 20_000;
        long start = System.nanoTime();
        List<CompletableFuture<RateLimitDecision>> calls = new ArrayList<>(concurrent);
        for (int i = 0; i < concurrent; i++) {
            calls.add(limiter.acquire("client-" + (i % 1000), 1_000_000).toCompletableFuture());
            if (calls.size() % 1000 == 0) {
                // Stay below the in-flight bound, as a gateway's traffic would.
                calls.get(calls.size() - 1000).get(10, TimeUnit.SECONDS);
            }
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("Redis acquire throughput, pipelined on one connection: %.0f decisions/s%n",
                concurrent / seconds);
        assertThat(calls).allMatch(c -> c.join().allowed());
    }

    // Helpers.

    /** For outage tests: the short production-like timeout. */
    private RedisConfig config(RedisFailureMode mode) {
        return RedisConfig.of("127.0.0.1", redis.port()).withTimeout(TIMEOUT).withOnFailure(mode);
    }

    /** For tests of what Redis stores: a timeout no busy machine reaches, and failures surface as errors. */
    private RedisConfig patient() {
        return RedisConfig.of("127.0.0.1", redis.port()).withTimeout(Duration.ofSeconds(5))
                .withOnFailure(RedisFailureMode.CLOSED);
    }

    private RedisRateLimiter track(RedisRateLimiter limiter) {
        limiters.add(limiter);
        return limiter;
    }

    private static RateLimitDecision get(RedisRateLimiter limiter, String key, long limit) throws Exception {
        return limiter.acquire(key, limit).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    /** A decision that must arrive within the Redis timeout (plus scheduling slack) even though Redis is down. */
    private static RateLimitDecision timed(RedisRateLimiter limiter, String key, long limit) throws Exception {
        long start = System.nanoTime();
        RateLimitDecision d = limiter.acquire(key, limit).toCompletableFuture()
                .get(TIMEOUT.toMillis() + SLACK_MILLIS, TimeUnit.MILLISECONDS);
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
                .isLessThanOrEqualTo(TIMEOUT.toMillis() + SLACK_MILLIS);
        return d;
    }

    /** Waits until a request is counted in Redis again: reconnected, and the outage over. */
    private void awaitShared(RedisRateLimiter limiter) {
        RedisProcess.await(Duration.ofSeconds(10), "limits shared through Redis again", () -> {
            try {
                long before = countedIn(limiter.redisKey("probe"));
                limiter.acquire("probe", 1_000_000).toCompletableFuture().get(5, TimeUnit.SECONDS);
                return limiter.healthy() && countedIn(limiter.redisKey("probe")) == before + 1;
            } catch (InterruptedException | ExecutionException | TimeoutException | IllegalStateException
                    | UncheckedIOException e) {
                return false;
            }
        });
    }

    /** The requests counted in a client's hash, read straight from Redis. */
    @SuppressWarnings("unchecked")
    private long countedIn(String key) {
        List<Object> flat = (List<Object>) redis.command("HGETALL", key);
        long total = 0;
        for (int i = 1; i < flat.size(); i += 2) {
            total += Long.parseLong((String) flat.get(i));
        }
        return total;
    }

    private ListAppender<ILoggingEvent> captureLog() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        LIMITER_LOG.addAppender(appender);
        appenders.add(appender);
        return appender;
    }

    private static List<String> warnings(ListAppender<ILoggingEvent> log) {
        return log.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }
}
