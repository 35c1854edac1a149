package io.gatehouse.upstream;

import io.gatehouse.config.CircuitBreakerConfig;
import io.gatehouse.upstream.CircuitBreaker.Admission;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class CircuitBreakerTest {

    private static final long S = 1_000_000_000L;
    private static final CircuitBreakerConfig CONFIG = new CircuitBreakerConfig(true, 3, Set.of(503),
            Duration.ofSeconds(10), Duration.ofSeconds(25), 1);

    private final CircuitBreaker breaker = new CircuitBreaker(CONFIG);

    private void fail(int times, long now) {
        for (int i = 0; i < times; i++) {
            breaker.onFailure(breaker.tryAcquire(now), now);
        }
    }

    @Test
    void opensAfterTheConfiguredConsecutiveFailuresAndRefusesWhileOpen() {
        fail(2, 0);
        assertThat(breaker.tryAcquire(0)).isEqualTo(Admission.CLOSED);
        fail(1, 0);

        assertThat(breaker.state()).isEqualTo("open");
        assertThat(breaker.available(9 * S)).isFalse();
        assertThat(breaker.tryAcquire(9 * S)).isEqualTo(Admission.REFUSED);
        assertThat(breaker.openRemainingNanos(4 * S)).isEqualTo(6 * S);
    }

    @Test
    void aSuccessBetweenFailuresStartsTheCountAgain() {
        fail(2, 0);
        breaker.onSuccess(breaker.tryAcquire(0));
        fail(2, 0);

        assertThat(breaker.state()).isEqualTo("closed");
        fail(1, 0);
        assertThat(breaker.state()).isEqualTo("open");
    }

    @Test
    void afterOpenForItLetsTheHalfOpenProbesThroughAndNoMore() {
        fail(3, 0);

        assertThat(breaker.available(10 * S)).isTrue();
        assertThat(breaker.tryAcquire(10 * S)).isEqualTo(Admission.PROBE);
        assertThat(breaker.state()).isEqualTo("half_open");
        assertThat(breaker.available(10 * S)).isFalse();
        assertThat(breaker.tryAcquire(10 * S)).isEqualTo(Admission.REFUSED);
    }

    @Test
    void aProbesSuccessClosesItAndTheNextOpeningIsShortAgain() {
        fail(3, 0);
        Admission probe = breaker.tryAcquire(10 * S);
        breaker.onSuccess(probe);

        assertThat(breaker.state()).isEqualTo("closed");
        assertThat(breaker.tryAcquire(11 * S)).isEqualTo(Admission.CLOSED);
        fail(3, 11 * S);
        assertThat(breaker.openRemainingNanos(11 * S)).isEqualTo(10 * S);
    }

    @Test
    void aProbesFailureReopensItForTwiceAsLongUpToTheMaximum() {
        fail(3, 0);
        breaker.onFailure(breaker.tryAcquire(10 * S), 10 * S);
        assertThat(breaker.openRemainingNanos(10 * S)).isEqualTo(20 * S);

        breaker.onFailure(breaker.tryAcquire(30 * S), 30 * S);
        assertThat(breaker.openRemainingNanos(30 * S)).isEqualTo(25 * S);
    }

    @Test
    void aCancelledProbeGivesItsPlaceBack() {
        fail(3, 0);
        Admission probe = breaker.tryAcquire(10 * S);
        breaker.onCancel(probe);

        assertThat(breaker.tryAcquire(10 * S)).isEqualTo(Admission.PROBE);
    }

    @Test
    void outcomesOfRequestsLetThroughBeforeItOpenedChangeNothingWhileOpen() {
        Admission early = breaker.tryAcquire(0);
        fail(3, 0);
        breaker.onSuccess(early);
        assertThat(breaker.state()).isEqualTo("open");

        breaker.tryAcquire(10 * S);
        breaker.onFailure(early, 10 * S);
        assertThat(breaker.state()).isEqualTo("half_open");
    }

    @Test
    void severalProbesWhenConfiguredAndTheFirstSuccessCloses() {
        CircuitBreaker three = new CircuitBreaker(new CircuitBreakerConfig(true, 1, Set.of(), Duration.ofSeconds(1),
                Duration.ofSeconds(1), 3));
        three.onFailure(three.tryAcquire(0), 0);

        Admission a = three.tryAcquire(S);
        Admission b = three.tryAcquire(S);
        Admission c = three.tryAcquire(S);
        assertThat(three.tryAcquire(S)).isEqualTo(Admission.REFUSED);
        assertThat(new Admission[] {a, b, c}).containsOnly(Admission.PROBE);
        three.onSuccess(b);
        assertThat(three.state()).isEqualTo("closed");
    }

    @Test
    void aDisabledBreakerNeverOpens() {
        CircuitBreaker off = new CircuitBreaker(new CircuitBreakerConfig(false, 1, Set.of(), Duration.ofSeconds(1),
                Duration.ofSeconds(1), 1));
        for (int i = 0; i < 100; i++) {
            off.onFailure(off.tryAcquire(0), 0);
        }
        assertThat(off.tryAcquire(0)).isEqualTo(Admission.CLOSED);
    }
}
