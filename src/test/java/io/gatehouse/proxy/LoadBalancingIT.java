package io.gatehouse.proxy;

import io.gatehouse.testing.FlakyBackend;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Requests spread over an upstream's targets, over real sockets. */
class LoadBalancingIT {

    static String upstream(String balance, String... targets) {
        return "upstreams:\n  svc:\n    balance: " + balance + "\n    targets:\n"
                + String.join("", java.util.Arrays.stream(targets).map(t -> "      - " + t + "\n").toList());
    }

    private static void sequential(GatewayFixture gateway, int requests) throws Exception {
        for (int i = 0; i < requests; i++) {
            assertThat(gateway.get("/svc/" + i).status()).isEqualTo(200);
        }
    }

    @Test
    void roundRobinSpreadsSequentialRequestsEvenly() throws Exception {
        try (FlakyBackend a = FlakyBackend.start("a"); FlakyBackend b = FlakyBackend.start("b");
             GatewayFixture gateway = GatewayFixture.withBackends().start(GatewayYaml.loopback()
                     .block(upstream("round_robin", a.url(), b.url()))
                     .openRoute("/svc", "svc"))) {
            sequential(gateway, 100);

            assertThat(a.requestCount()).isBetween(48, 52);
            assertThat(b.requestCount()).isBetween(48, 52);
        }
    }

    @Test
    void roundRobinFollowsTheWeights() throws Exception {
        try (FlakyBackend a = FlakyBackend.start("a"); FlakyBackend b = FlakyBackend.start("b");
             GatewayFixture gateway = GatewayFixture.withBackends().start(GatewayYaml.loopback()
                     .block(upstream("round_robin", a.url(), "{ url: " + b.url() + ", weight: 3 }"))
                     .openRoute("/svc", "svc"))) {
            sequential(gateway, 100);

            assertThat(a.requestCount()).isBetween(23, 27);
            assertThat(b.requestCount()).isBetween(73, 77);
        }
    }

    @Test
    void leastRequestSendsFewRequestsToTheSlowTarget() throws Exception {
        try (FlakyBackend slow = FlakyBackend.start("slow").slow(Duration.ofMillis(200));
             FlakyBackend fast = FlakyBackend.start("fast").slow(Duration.ofMillis(1));
             GatewayFixture gateway = GatewayFixture.withBackends().start(GatewayYaml.loopback()
                     .block(upstream("least_request", slow.url(), fast.url()))
                     .openRoute("/svc", "svc"))) {
            // Ten clients at a time, ten requests each: whenever the slow target holds more requests in flight
            // than the fast one, new requests go to the fast one. (All at once, before any answer, would split
            // evenly: in-flight counts only tell targets apart once answers come back.)
            int clients = 10;
            int each = 10;
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<List<Integer>>> statuses = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    statuses.add(pool.submit(() -> {
                        go.await();
                        List<Integer> mine = new ArrayList<>();
                        for (int n = 0; n < each; n++) {
                            mine.add(gateway.get("/svc/" + n).status());
                        }
                        return mine;
                    }));
                }
                go.countDown();
                for (Future<List<Integer>> mine : statuses) {
                    assertThat(mine.get(30, TimeUnit.SECONDS)).containsOnly(200);
                }
            } finally {
                pool.shutdownNow();
            }

            assertThat(slow.requestCount() + fast.requestCount()).isEqualTo(clients * each);
            // Round-robin would give the slow one 50.
            assertThat(slow.requestCount()).isLessThan(30);
        }
    }

    @Test
    void inlineTargetsAreBalancedToo() throws Exception {
        try (FlakyBackend a = FlakyBackend.start("a"); FlakyBackend b = FlakyBackend.start("b");
             GatewayFixture gateway = GatewayFixture.withBackends().start(GatewayYaml.loopback()
                     .openRoute("/svc", "[" + a.url() + ", " + b.url() + "]"))) {
            sequential(gateway, 100);

            assertThat(a.requestCount()).isPositive();
            assertThat(b.requestCount()).isPositive();
        }
    }
}
