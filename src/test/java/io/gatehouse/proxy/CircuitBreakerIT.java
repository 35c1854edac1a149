package io.gatehouse.proxy;

import io.gatehouse.testing.Await;
import io.gatehouse.testing.FlakyBackend;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient.Response;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The passive breaker protects a failing backend from the traffic, and lets it back in when it recovers. */
class CircuitBreakerIT {

    private static GatewayYaml yaml(String openFor, String... targets) {
        return GatewayYaml.loopback().block("""
                upstreams:
                  svc:
                    balance: round_robin
                    targets: [%s]
                    circuit_breaker:
                      failures: 3
                      open_for: %s
                      max_open_for: 1h
                      half_open_requests: 1
                    retries:
                      attempts: 0
                """.formatted(String.join(", ", targets), openFor))
                .openRoute("/svc", "svc");
    }

    @Test
    void aSingleTargetThatFailsIsNotHammeredWhileOpen() throws Exception {
        try (FlakyBackend down = FlakyBackend.start("down").status(503);
             GatewayFixture gateway = GatewayFixture.withBackends().start(yaml("1h", down.url()))) {
            for (int i = 0; i < 3; i++) {
                assertThat(gateway.get("/svc/" + i).status()).isEqualTo(503);
            }
            int connections = down.connectionsAccepted();

            for (int i = 0; i < 20; i++) {
                Response response = gateway.get("/svc/x");
                assertThat(response.status()).isEqualTo(503);
                assertThat(response.bodyText()).isEqualTo("{\"error\":\"Service unavailable\"}");
                assertThat(Long.parseLong(response.header("Retry-After"))).isBetween(3500L, 3600L);
            }
            assertThat(down.requestCount()).isEqualTo(3);
            assertThat(down.connectionsAccepted()).as("no connection attempt while open").isEqualTo(connections);
        }
    }

    @Test
    void afterOpenForOneProbeGoesAndItsFailureReopensForTwiceAsLong() throws Exception {
        try (FlakyBackend down = FlakyBackend.start("down").status(503);
             GatewayFixture gateway = GatewayFixture.withBackends().start(yaml("300ms", down.url()))) {
            for (int i = 0; i < 3; i++) {
                gateway.get("/svc/" + i);
            }
            assertThat(down.requestCount()).isEqualTo(3);

            // Keep asking: after 300 ms exactly one probe reaches the backend; it fails, and it is open for 600 ms.
            Await.until(Duration.ofSeconds(10), "a half-open probe", () -> {
                get(gateway);
                return down.requestCount() == 4;
            });
            Response refused = gateway.get("/svc/y");
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isEqualTo("1");
            assertThat(down.requestCount()).isEqualTo(4);
        }
    }

    @Test
    void aBackendAnswering503ToEverythingGetsAtMostFailuresPlusProbesPerOpenPeriod() throws Exception {
        try (FlakyBackend down = FlakyBackend.start("down").status(503);
             GatewayFixture gateway = GatewayFixture.withBackends().start(yaml("200ms", down.url()))) {
            long start = System.nanoTime();
            int sent = 0;
            while (System.nanoTime() - start < Duration.ofMillis(1500).toNanos()) {
                get(gateway);
                sent++;
            }
            // Open for 200, 400, 800 ms: 3 failures, then at most 3 probes fit in 1.5 s.
            assertThat(sent).isGreaterThan(50);
            assertThat(down.requestCount()).isBetween(4, 6);
        }
    }

    @Test
    void aSuccessfulProbeClosesItAgain() throws Exception {
        try (FlakyBackend flaky = FlakyBackend.start("flaky").status(500);
             GatewayFixture gateway = GatewayFixture.withBackends().start(yaml("200ms", flaky.url()))) {
            for (int i = 0; i < 3; i++) {
                gateway.get("/svc/" + i);
            }
            flaky.healthy();

            Await.until(Duration.ofSeconds(10), "the breaker closed", () -> get(gateway) == 200);
            for (int i = 0; i < 10; i++) {
                assertThat(gateway.get("/svc/ok").status()).isEqualTo(200);
            }
        }
    }

    @Test
    void anOpenTargetIsSkippedWhileAnotherServes() throws Exception {
        try (FlakyBackend down = FlakyBackend.start("down").status(502);
             FlakyBackend up = FlakyBackend.start("up");
             GatewayFixture gateway = GatewayFixture.withBackends().start(yaml("1h", down.url(), up.url()))) {
            for (int i = 0; i < 10; i++) {
                gateway.get("/svc/" + i);
            }
            assertThat(down.requestCount()).isEqualTo(3);

            for (int i = 0; i < 20; i++) {
                assertThat(gateway.get("/svc/" + i).bodyText()).isEqualTo("up");
            }
            assertThat(down.requestCount()).isEqualTo(3);
        }
    }

    @Test
    void clientErrorsNeverOpenIt() throws Exception {
        try (FlakyBackend picky = FlakyBackend.start("picky").status(404);
             GatewayFixture gateway = GatewayFixture.withBackends().start(yaml("1h", picky.url()))) {
            for (int i = 0; i < 20; i++) {
                assertThat(gateway.get("/svc/" + i).status()).isEqualTo(404);
            }
            assertThat(picky.requestCount()).isEqualTo(20);
        }
    }

    private static int get(GatewayFixture gateway) {
        try {
            return gateway.get("/svc/z").status();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
