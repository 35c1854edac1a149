package io.gatehouse.auth.jwt;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.testing.Tokens;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The key-set source of a {@code jwks_url}, with a fetcher the test answers by hand, a scheduler it runs by hand
 * and a clock it moves: no network, no waiting for real minutes.
 */
class RemoteKeySourceTest {

    private static final RSAKey K1 = Tokens.rsa("k1");
    private static final RSAKey K2 = Tokens.rsa("k2");
    private static final Duration REFRESH = Duration.ofMinutes(10);

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final List<CompletableFuture<JwksClient.Response>> fetches = new ArrayList<>();
    private final List<Scheduled> scheduled = new ArrayList<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private RemoteKeySource source;

    private record Scheduled(Runnable task, Duration delay, CompletableFuture<Void> handle) {
    }

    @BeforeEach
    void captureLog() {
        log.start();
        ((Logger) LoggerFactory.getLogger(RemoteKeySource.class)).addAppender(log);
    }

    @AfterEach
    void stopCapture() {
        ((Logger) LoggerFactory.getLogger(RemoteKeySource.class)).detachAppender(log);
        if (source != null) {
            source.close();
        }
    }

    private RemoteKeySource start() {
        source = new RemoteKeySource("corp", "http://idp/jwks.json", REFRESH, () -> {
            CompletableFuture<JwksClient.Response> f = new CompletableFuture<>();
            fetches.add(f);
            return f;
        }, (task, delay) -> {
            Scheduled s = new Scheduled(task, delay, new CompletableFuture<>());
            scheduled.add(s);
            return s.handle;
        }, nanos::get);
        return source;
    }

    private void answer(String jwks, Duration maxAge) {
        fetches.get(fetches.size() - 1).complete(new JwksClient.Response(jwks, maxAge));
    }

    private void fail() {
        fetches.get(fetches.size() - 1).completeExceptionally(new JwksClient.JwksFetchException("connection refused"));
    }

    /** Runs the last scheduled task, as if its delay had passed, moving the clock on by it. */
    private Duration runScheduled() {
        Scheduled last = scheduled.get(scheduled.size() - 1);
        assertThat(last.handle.isCancelled()).isFalse();
        nanos.addAndGet(last.delay.toNanos());
        last.task.run();
        return last.delay;
    }

    private static boolean has(RemoteKeySource source, String kid) {
        return source.keys().getKeyByKeyId(kid) != null;
    }

    @Test
    void theFirstFetchStartsAtOnceAndReadinessWaitsForIt() {
        start();
        assertThat(fetches).hasSize(1);
        assertThat(source.ready()).isFalse();
        assertThat(source.keys().isEmpty()).isTrue();
        answer(Tokens.jwks(K1), null);
        assertThat(source.ready()).isTrue();
        assertThat(has(source, "k1")).isTrue();
        assertThat(source.keys().getKeys()).allSatisfy(k -> assertThat(k.isPrivate()).isFalse());
    }

    @Test
    void aFailedFirstFetchStillEndsTheWaitForReadiness() {
        start();
        fail();
        assertThat(source.ready()).isTrue();
        assertThat(source.keys().isEmpty()).isTrue();
    }

    @Test
    void theBackgroundRefreshIsBoundedByMaxAgeWithinOneMinuteAndADay() {
        start();
        answer(Tokens.jwks(K1), null);
        assertThat(scheduled.get(0).delay).isEqualTo(REFRESH);
        runScheduled();
        answer(Tokens.jwks(K1), Duration.ofMinutes(5));
        assertThat(scheduled.get(1).delay).isEqualTo(Duration.ofMinutes(5));
        runScheduled();
        answer(Tokens.jwks(K1), Duration.ofSeconds(5));
        assertThat(scheduled.get(2).delay).isEqualTo(Duration.ofMinutes(1));
        runScheduled();
        answer(Tokens.jwks(K1), Duration.ofDays(3));
        assertThat(scheduled.get(3).delay).isEqualTo(REFRESH);
        assertThat(fetches).hasSize(4);
        // Each new schedule replaces the one before.
        assertThat(scheduled.get(0).handle.isCancelled()).isTrue();
    }

    @Test
    void anOldKeyWorksUntilItLeavesTheSetAndANewOneArrivesWithOneRefetch() {
        start();
        answer(Tokens.jwks(K1), null);
        CompletionStage<?> refetch = source.refetch();
        assertThat(refetch).isNotNull();
        assertThat(fetches).hasSize(2);
        assertThat(has(source, "k1")).isTrue();
        answer(Tokens.jwks(K1, K2), null);
        assertThat(refetch.toCompletableFuture()).isDone();
        assertThat(has(source, "k1")).isTrue();
        assertThat(has(source, "k2")).isTrue();
        runScheduled();
        answer(Tokens.jwks(K2), null);
        assertThat(has(source, "k1")).isFalse();
        assertThat(has(source, "k2")).isTrue();
    }

    @Test
    void concurrentUnknownKidsShareOneFetchAndAThousandMoreWaitThirtySeconds() {
        start();
        answer(Tokens.jwks(K1), null);
        CompletionStage<?> first = source.refetch();
        CompletionStage<?> second = source.refetch();
        assertThat(second).isSameAs(first);
        assertThat(fetches).hasSize(2);
        answer(Tokens.jwks(K1), null);
        for (int i = 0; i < 1000; i++) {
            nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(29));
            assertThat(source.refetch()).as("refetch %d, %d ms after the first", i, i * 29).isNull();
        }
        assertThat(fetches).hasSize(2);
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        assertThat(source.refetch()).isNotNull();
        assertThat(fetches).hasSize(3);
    }

    @Test
    void aRefetchThatHangsReleasesItsWaitersAfterTwoSeconds() throws Exception {
        start();
        answer(Tokens.jwks(K1), null);
        CompletionStage<?> refetch = source.refetch();
        // The fetch never answers; the waiters are let go with the keys they had.
        refetch.toCompletableFuture().get(10, TimeUnit.SECONDS);
        assertThat(has(source, "k1")).isTrue();
    }

    @Test
    void whenTheIdpIsDownForAMinuteTheLastGoodKeysStayAndItIsLoggedOnce() {
        start();
        answer(Tokens.jwks(K1), null);
        runScheduled();
        Duration down = Duration.ZERO;
        while (down.compareTo(Duration.ofMinutes(1)) < 0) {
            fail();
            assertThat(has(source, "k1")).isTrue();
            down = down.plus(runScheduled());
        }
        answer("<html>maintenance</html>", null);
        assertThat(has(source, "k1")).isTrue();
        runScheduled();
        answer("{\"keys\": []}", null);
        assertThat(has(source, "k1")).isTrue();
        // Retries back off: 15 s, 30 s, 60 s.
        assertThat(scheduled.subList(1, 4)).extracting(Scheduled::delay)
                .containsExactly(Duration.ofSeconds(15), Duration.ofSeconds(30), Duration.ofSeconds(60));
        assertThat(log.list).filteredOn(e -> e.getLevel().toString().equals("WARN")).hasSize(1);
        assertThat(log.list.get(0).getFormattedMessage()).contains("corp").contains("connection refused")
                .contains("the last good keys stay in use");
        runScheduled();
        answer(Tokens.jwks(K2), null);
        assertThat(has(source, "k2")).isTrue();
        assertThat(log.list).filteredOn(e -> e.getLevel().toString().equals("INFO")).hasSize(1);
    }

    @Test
    void closingStopsTheRefresh() {
        start();
        answer(Tokens.jwks(K1), null);
        source.close();
        assertThat(scheduled.get(0).handle.isCancelled()).isTrue();
    }
}
