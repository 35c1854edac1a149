package io.gatehouse.proxy;

import io.gatehouse.testing.FlakyBackend;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/** A failed attempt is tried again on another target when that is safe, and only then. */
class RetryIT {

    private static GatewayYaml yaml(String retries, String... targets) {
        return GatewayYaml.loopback().block("""
                upstreams:
                  svc:
                    balance: round_robin
                    targets: [%s]
                    circuit_breaker: { failures: 1000 }
                    retries: %s
                """.formatted(String.join(", ", targets), retries))
                .openRoute("/svc", "svc");
    }

    private static final String DEFAULT = "{ attempts: 1 }";

    @Test
    void aConnectFailureIsTriedOnTheOtherTargetForAnyMethod() throws Exception {
        String refusing = TestBackend.closedUrl();
        try (FlakyBackend up = FlakyBackend.start("up");
             GatewayFixture gateway = GatewayFixture.withBackends().captureAccessLog()
                     .start(yaml(DEFAULT, refusing, up.url()))) {
            for (int i = 0; i < 6; i++) {
                Response response = gateway.exchange("POST /svc/" + i + " HTTP/1.1\r\nHost: gw\r\n"
                        + "Content-Length: 5\r\n\r\nhello");
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.bodyText()).isEqualTo("up");
            }
            assertThat(up.requestCount()).isEqualTo(6);
            assertThat(up.requests().get(0).bodyText()).isEqualTo("hello");
            String port = refusing.substring(refusing.lastIndexOf(':') + 1);
            assertThat(gateway.accessLines()).anySatisfy(line -> assertThat(line)
                    .contains("backend=127.0.0.1:" + port + "," + up.url().substring(7) + " attempts=2"));
        }
    }

    @Test
    void aResetBeforeTheResponseIsRetriedForAGetButNotForAPost() throws Exception {
        try (FlakyBackend resetting = FlakyBackend.start("resetting").resetting();
             FlakyBackend up = FlakyBackend.start("up");
             GatewayFixture gateway = GatewayFixture.withBackends().start(yaml(DEFAULT, resetting.url(), up.url()))) {
            for (int i = 0; i < 4; i++) {
                assertThat(gateway.get("/svc/" + i).bodyText()).isEqualTo("up");
            }
            List<Integer> posts = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                posts.add(gateway.exchange("POST /svc/p HTTP/1.1\r\nHost: gw\r\nContent-Length: 2\r\n\r\nhi")
                        .status());
            }
            for (int i = 0; i < 4; i++) {
                // Without a body too: the backend may have acted on the head alone.
                posts.add(gateway.exchange("POST /svc/p HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\n\r\n")
                        .status());
            }
            assertThat(posts).contains(502).contains(200);
            // Each POST reached exactly one backend: none that failed was sent again.
            long atResetting = resetting.requests().stream().filter(r -> r.method().equals("POST")).count();
            long atUp = up.requests().stream().filter(r -> r.method().equals("POST")).count();
            assertThat(atResetting + atUp).isEqualTo(posts.size());
            assertThat(posts.stream().filter(s -> s == 502).count()).isEqualTo(atResetting);
        }
    }

    @Test
    void aRetryStatusIsTriedOnTheOtherTargetWithTheSameRequestId() throws Exception {
        try (FlakyBackend busy = FlakyBackend.start("busy").status(503);
             FlakyBackend up = FlakyBackend.start("up");
             GatewayFixture gateway = GatewayFixture.withBackends().start(yaml(DEFAULT, busy.url(), up.url()))) {
            for (int i = 0; i < 4; i++) {
                Response response = gateway.get("/svc/" + i);
                assertThat(response.status()).isEqualTo(200);
            }
            assertThat(busy.requestCount()).isEqualTo(2);
            TestBackend.Request first = busy.requests().get(0);
            String id = first.header("X-Request-Id");
            assertThat(up.requests()).anySatisfy(r -> assertThat(r.header("X-Request-Id")).isEqualTo(id));
        }
    }

    @Test
    void aRequestWhoseBodyWentToABackendIsNotRetriedOnStatus() throws Exception {
        try (FlakyBackend busy = FlakyBackend.start("busy").status(503);
             FlakyBackend also = FlakyBackend.start("also").status(503);
             GatewayFixture gateway = GatewayFixture.withBackends().start(yaml(DEFAULT, busy.url(), also.url()))) {
            Response response = gateway.exchange("PUT /svc/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\n\r\ndata");

            assertThat(response.status()).isEqualTo(503);
            assertThat(busy.requestCount() + also.requestCount()).isEqualTo(1);
        }
    }

    @Test
    void attemptsBoundTheRetriesAndTheLastAnswerIsTheClients() throws Exception {
        try (FlakyBackend a = FlakyBackend.start("a").status(503);
             FlakyBackend b = FlakyBackend.start("b").status(503);
             GatewayFixture gateway = GatewayFixture.withBackends().start(yaml("{ attempts: 3 }", a.url(),
                     b.url()))) {
            Response response = gateway.get("/svc/x");

            assertThat(response.status()).isEqualTo(503);
            assertThat(response.bodyText()).contains("503 from");
            assertThat(a.requestCount() + b.requestCount()).isEqualTo(4);
            assertThat(a.requestCount()).isEqualTo(2);
        }
    }

    @Test
    void noRetriesWhenAttemptsIsZero() throws Exception {
        try (FlakyBackend a = FlakyBackend.start("a").status(503);
             FlakyBackend b = FlakyBackend.start("b");
             GatewayFixture gateway = GatewayFixture.withBackends().start(yaml("{ attempts: 0 }", a.url(),
                     b.url()))) {
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                statuses.add(gateway.get("/svc/" + i).status());
            }
            assertThat(statuses).containsExactlyInAnyOrder(503, 503, 200, 200);
        }
    }

    @Test
    void aBackendKilledUnderLoadLosesNoIdempotentRequest() throws Exception {
        try (FlakyBackend victim = FlakyBackend.start("victim");
             FlakyBackend survivor = FlakyBackend.start("survivor");
             GatewayFixture gateway = GatewayFixture.withBackends().start(GatewayYaml.loopback().block("""
                     upstreams:
                       svc:
                         targets: [%s, %s]
                         retries: { attempts: 1, budget: 100%% }
                     """.formatted(victim.url(), survivor.url())).openRoute("/svc", "svc"))) {
            int clients = 50;
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            AtomicBoolean stop = new AtomicBoolean();
            CountDownLatch running = new CountDownLatch(clients);
            List<Future<List<Integer>>> results = new ArrayList<>();
            try {
                for (int i = 0; i < clients; i++) {
                    results.add(pool.submit(() -> {
                        List<Integer> statuses = new ArrayList<>();
                        running.countDown();
                        while (!stop.get() || statuses.size() < 20) {
                            statuses.add(gateway.get("/svc/x").status());
                        }
                        return statuses;
                    }));
                }
                running.await(10, TimeUnit.SECONDS);
                io.gatehouse.testing.Await.until(java.time.Duration.ofSeconds(10), "traffic on both",
                        () -> victim.requestCount() > 200 && survivor.requestCount() > 200);
                victim.refusing();
                int after = survivor.requestCount();
                io.gatehouse.testing.Await.until(java.time.Duration.ofSeconds(10), "traffic after the kill",
                        () -> survivor.requestCount() > after + 500);
                stop.set(true);
                List<Integer> all = new ArrayList<>();
                for (Future<List<Integer>> result : results) {
                    all.addAll(result.get(30, TimeUnit.SECONDS));
                }
                assertThat(all).hasSizeGreaterThan(1000).containsOnly(200);
            } finally {
                stop.set(true);
                pool.shutdownNow();
            }
        }
    }
}
