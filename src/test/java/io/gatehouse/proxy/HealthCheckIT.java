package io.gatehouse.proxy;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.FlakyBackend;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Active health checks take a sick target out and bring it back, off the request path. */
class HealthCheckIT {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private static GatewayYaml yaml(FlakyBackend a, FlakyBackend b, String... extraRoutes) {
        GatewayYaml yaml = GatewayYaml.loopback().block("""
                upstreams:
                  svc:
                    balance: round_robin
                    targets: [%s, %s]
                    health_check:
                      path: /health
                      interval: 50ms
                      timeout: 1s
                      healthy_after: 2
                      unhealthy_after: 2
                """.formatted(a.url(), b.url()))
                .openRoute("/svc", "svc");
        for (String prefix : extraRoutes) {
            yaml.openRoute(prefix, "svc");
        }
        return yaml;
    }

    /**
     * Checks of one target run one after the other, so once the backend has seen {@code n} more checks, the
     * gateway has acted on all but the last of them.
     */
    private static void awaitChecks(FlakyBackend backend, int more) {
        int target = backend.healthChecks() + more;
        Await.until(WAIT, more + " more health checks of " + backend.name(), () -> backend.healthChecks() >= target);
    }

    @Test
    void checksStartWhenTheConfigIsLoadedBeforeAnyRequest() {
        try (FlakyBackend a = FlakyBackend.start("a"); FlakyBackend b = FlakyBackend.start("b");
             GatewayFixture gateway = GatewayFixture.withBackends().start(yaml(a, b))) {
            awaitChecks(a, 2);
            awaitChecks(b, 2);

            assertThat(a.requestCount()).isZero();
            assertThat(a.requests()).isEmpty();
        }
    }

    @Test
    void aTargetFailingItsChecksGetsNoRequestsUntilItPassesThemAgain() throws Exception {
        try (FlakyBackend a = FlakyBackend.start("a"); FlakyBackend b = FlakyBackend.start("b");
             GatewayFixture gateway = GatewayFixture.withBackends().start(yaml(a, b))) {
            b.healthStatus(503);
            awaitChecks(b, 3);

            for (int i = 0; i < 20; i++) {
                assertThat(gateway.get("/svc/" + i).bodyText()).isEqualTo("a");
            }
            assertThat(b.requestCount()).isZero();

            b.healthStatus(200);
            awaitChecks(b, 3);
            for (int i = 0; i < 20; i++) {
                assertThat(gateway.get("/svc/" + i).status()).isEqualTo(200);
            }
            assertThat(b.requestCount()).isBetween(9, 11);
        }
    }

    @Test
    void whenEveryTargetIsUnhealthyTheGatewayAnswers503AtOnce() throws Exception {
        try (FlakyBackend a = FlakyBackend.start("a"); FlakyBackend b = FlakyBackend.start("b");
             GatewayFixture gateway = GatewayFixture.withBackends().start(yaml(a, b))) {
            a.healthStatus(500);
            b.healthStatus(500);
            awaitChecks(a, 3);
            awaitChecks(b, 3);

            var response = gateway.get("/svc/x");
            assertThat(response.status()).isEqualTo(503);
            assertThat(response.bodyText()).isEqualTo("{\"error\":\"Service unavailable\"}");
            assertThat(response.header("Retry-After")).isEqualTo("1");
            assertThat(a.requestCount() + b.requestCount()).isZero();
        }
    }

    @Test
    void aTargetThatStopsListeningIsTakenOut() throws Exception {
        try (FlakyBackend a = FlakyBackend.start("a"); FlakyBackend b = FlakyBackend.start("b");
             GatewayFixture gateway = GatewayFixture.withBackends().start(yaml(a, b))) {
            awaitChecks(b, 1);
            b.refusing();
            awaitChecks(a, 6); // b fails a check per interval as a does one: b is out by now

            for (int i = 0; i < 10; i++) {
                assertThat(gateway.get("/svc/" + i).bodyText()).isEqualTo("a");
            }
            b.listening();
            awaitChecks(b, 3);
            for (int i = 0; i < 10; i++) {
                gateway.get("/svc/" + i);
            }
            assertThat(b.requestCount()).isPositive();
        }
    }

    @Test
    void healthSurvivesAReloadThatKeepsTheTarget() throws Exception {
        try (FlakyBackend a = FlakyBackend.start("a"); FlakyBackend b = FlakyBackend.start("b");
             GatewayFixture gateway = GatewayFixture.withBackends().start(yaml(a, b))) {
            b.healthStatus(503);
            awaitChecks(b, 3);

            gateway.gateway().server().reload(ConfigLoader.parse(yaml(a, b, "/other").build(), "test.yaml"));

            for (int i = 0; i < 10; i++) {
                assertThat(gateway.get("/other/" + i).bodyText()).isEqualTo("a");
            }
            assertThat(b.requestCount()).isZero();
        }
    }
}
