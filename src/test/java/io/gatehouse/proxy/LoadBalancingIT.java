package io.gatehouse.proxy;

import io.gatehouse.testing.FlakyBackend;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient.Response;
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
            int clients = 100;
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Response>> responses = new ArrayList<>();
                for (int i = 0; i < clients; i++) {
                    int n = i;
                    responses.add(pool.submit(() -> {
                        go.await();
                        return gateway.get("/svc/" + n);
                    }));
                }
                go.countDown();
                for (Future<Response> response : responses) {
                    assertThat(response.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
                }
            } finally {
                pool.shutdownNow();
            }

            assertThat(slow.requestCount() + fast.requestCount()).isEqualTo(clients);
            // Round-robin would give the slow one 50; each request it holds for 200 ms turns the next ones away.
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
