package io.gatehouse.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RateLimitDecisionTest {

    @Test
    void anAdmittedDecisionHasNoRetryAfter() {
        RateLimitDecision d = RateLimitDecision.allow(10, 9, 60_000);
        assertThat(d.allowed()).isTrue();
        assertThat(d.retryAfterMillis()).isZero();
        assertThatThrownBy(() -> new RateLimitDecision(true, 10, 9, 5, 60_000))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRejectedDecisionWaitsAtLeastOneMillisecondAndHasNothingRemaining() {
        RateLimitDecision d = RateLimitDecision.reject(10, 1, 1);
        assertThat(d.remaining()).isZero();
        assertThatThrownBy(() -> RateLimitDecision.reject(10, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RateLimitDecision(false, 10, 3, 5, 5))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsInconsistentCounts() {
        assertThatThrownBy(() -> RateLimitDecision.allow(0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RateLimitDecision.allow(10, 11, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RateLimitDecision.allow(10, -1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RateLimitDecision.reject(10, 5, 4)).isInstanceOf(IllegalArgumentException.class);
    }
}
