package io.gatehouse.upstream;

import io.gatehouse.config.CircuitBreakerConfig;
import io.gatehouse.config.RetryConfig;
import io.gatehouse.config.UpstreamConfig;
import io.gatehouse.config.UpstreamConfig.Balance;
import io.gatehouse.config.UpstreamConfig.Target;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class UpstreamTest {

    private final AtomicLong clock = new AtomicLong();

    private Upstream upstream(Balance balance, int maxRequests, int... weights) {
        List<Target> targets = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            targets.add(new Target(URI.create("http://10.0.0." + (i + 1) + ":80"), weights[i]));
        }
        UpstreamConfig config = new UpstreamConfig("svc", targets, balance, null,
                new CircuitBreakerConfig(true, 2, Set.of(503), Duration.ofSeconds(10), Duration.ofMinutes(1), 1),
                maxRequests, RetryConfig.defaults(), false);
        List<Endpoint> endpoints = targets.stream()
                .map(t -> new Endpoint(t.url(), t.weight(), config.circuitBreaker())).toList();
        return new Upstream(config, endpoints, clock::get);
    }

    private static Map<Endpoint, Integer> spread(Upstream upstream, int requests) {
        Map<Endpoint, Integer> counts = new HashMap<>();
        for (int i = 0; i < requests; i++) {
            counts.merge(upstream.choose(null, 0), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void roundRobinSpreadsEvenly() {
        Upstream rr = upstream(Balance.ROUND_ROBIN, 100, 1, 1);
        Map<Endpoint, Integer> counts = spread(rr, 100);
        assertThat(counts.get(rr.endpoints().get(0))).isEqualTo(50);
        assertThat(counts.get(rr.endpoints().get(1))).isEqualTo(50);
    }

    @Test
    void roundRobinFollowsTheWeightsInterleaved() {
        Upstream rr = upstream(Balance.ROUND_ROBIN, 100, 1, 3);
        Map<Endpoint, Integer> counts = spread(rr, 100);
        assertThat(counts.get(rr.endpoints().get(0))).isEqualTo(25);
        assertThat(counts.get(rr.endpoints().get(1))).isEqualTo(75);
        assertThat(Upstream.smoothWeightedOrder(new int[] {1, 3})).containsExactly(1, 0, 1, 1);
        // Nginx's example: a a b a c a a — never more than its share in a row.
        assertThat(Upstream.smoothWeightedOrder(new int[] {5, 1, 1})).containsExactly(0, 0, 1, 0, 2, 0, 0);
    }

    @Test
    void leastRequestPicksTheTargetWithFewerInFlight() {
        Upstream lr = upstream(Balance.LEAST_REQUEST, 1000, 1, 1);
        Endpoint busy = lr.endpoints().get(0);
        for (int i = 0; i < 10; i++) {
            lr.acquire(busy, 0);
        }
        for (int i = 0; i < 100; i++) {
            assertThat(lr.choose(null, 0)).isSameAs(lr.endpoints().get(1));
        }
    }

    @Test
    void leastRequestWeighsInFlightByWeight() {
        Upstream lr = upstream(Balance.LEAST_REQUEST, 1000, 1, 4);
        Endpoint light = lr.endpoints().get(0);
        Endpoint heavy = lr.endpoints().get(1);
        lr.acquire(light, 0);
        for (int i = 0; i < 3; i++) {
            lr.acquire(heavy, 0);
        }
        // 1 in flight per weight 1 against 3 per weight 4: the heavy target is the less loaded.
        for (int i = 0; i < 50; i++) {
            assertThat(lr.choose(null, 0)).isSameAs(heavy);
        }
    }

    @Test
    void leastRequestDrawsByWeightWhenIdle() {
        Upstream lr = upstream(Balance.LEAST_REQUEST, 1000, 1, 3);
        Map<Endpoint, Integer> counts = spread(lr, 4000);
        // With nothing in flight the first draw wins ties: about 1/4 vs 3/4 (±5 %).
        assertThat(counts.get(lr.endpoints().get(1))).isBetween(2800, 3200);
    }

    @Test
    void anotherTargetIsChosenForARetryAndTheSameOneOnlyWhenThereIsNoOther() {
        Upstream two = upstream(Balance.LEAST_REQUEST, 100, 1, 1);
        Endpoint failed = two.endpoints().get(0);
        for (int i = 0; i < 50; i++) {
            assertThat(two.choose(failed, 0)).isSameAs(two.endpoints().get(1));
        }
        Upstream one = upstream(Balance.ROUND_ROBIN, 100, 1);
        assertThat(one.choose(one.endpoints().get(0), 0)).isSameAs(one.endpoints().get(0));
    }

    @Test
    void skipsOpenUnhealthyAndFullTargetsAndNoneWhenAllAre() {
        Upstream three = upstream(Balance.ROUND_ROBIN, 1, 1, 1, 1);
        Endpoint open = three.endpoints().get(0);
        Endpoint sick = three.endpoints().get(1);
        Endpoint full = three.endpoints().get(2);
        for (int i = 0; i < 2; i++) {
            three.acquire(open, 0).failed(0);
        }
        sick.healthy(false);
        for (int i = 0; i < 10; i++) {
            assertThat(three.choose(null, 0)).isSameAs(full);
        }
        assertThat(three.acquire(full, 0)).isNotNull();
        assertThat(three.acquire(full, 0)).as("over max_requests").isNull();

        assertThat(three.choose(null, 0)).isNull();
    }

    @Test
    void retryAfterIsTheTimeLeftOpenInWholeSeconds() {
        Upstream one = upstream(Balance.ROUND_ROBIN, 10, 1);
        Endpoint e = one.endpoints().get(0);
        one.acquire(e, 0).failed(0);
        one.acquire(e, 0).failed(0);

        assertThat(one.choose(null, 0)).isNull();
        assertThat(one.retryAfterSeconds(0)).isEqualTo(10);
        assertThat(one.retryAfterSeconds(8_500_000_000L)).isEqualTo(2);
    }

    @Test
    void aLeaseEndsOnceWhateverIsReported() {
        Upstream one = upstream(Balance.ROUND_ROBIN, 10, 1);
        Endpoint e = one.endpoints().get(0);
        Upstream.Lease lease = one.acquire(e, 0);
        assertThat(e.inFlight()).isEqualTo(1);

        lease.failed(0);
        lease.succeeded();
        lease.cancelled();
        assertThat(e.inFlight()).isZero();
        one.acquire(e, 0).failed(0);
        assertThat(e.breaker().state()).as("two failures, the repeat reports did not count").isEqualTo("open");
    }

    @Test
    void theRetryBudgetAllowsThreeOrTheConfiguredShareOfRequestsInFlight() {
        Upstream svc = upstream(Balance.ROUND_ROBIN, 1000, 1);
        for (int i = 0; i < 3; i++) {
            assertThat(svc.tryStartRetry()).isTrue();
        }
        assertThat(svc.tryStartRetry()).isFalse();

        for (int i = 0; i < 50; i++) {
            svc.requestStarted();
        }
        // 20 % of 50 in flight: 10 retries at once.
        for (int i = 3; i < 10; i++) {
            assertThat(svc.tryStartRetry()).isTrue();
        }
        assertThat(svc.tryStartRetry()).isFalse();
        svc.retryEnded();
        assertThat(svc.tryStartRetry()).isTrue();
    }
}
