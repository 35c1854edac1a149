package io.gatehouse.proxy;

import io.gatehouse.testing.Await;
import io.gatehouse.testing.FlakyBackend;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient.Response;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A target at max_requests takes no more; a timed-out attempt may go to another target when asked to. */
class OverloadIT {

    @Test
    void aTargetAtMaxRequestsTakesNoMoreAndWhenAllAreThe503IsImmediate() throws Exception {
        try (FlakyBackend slow = FlakyBackend.start("slow").slow(Duration.ofSeconds(2));
             GatewayFixture gateway = GatewayFixture.withBackends().start(GatewayYaml.loopback().block("""
                     upstreams:
                       svc:
                         targets: [%s]
                         max_requests: 2
                     """.formatted(slow.url())).openRoute("/svc", "svc"))) {
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                List<Future<Response>> held = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    held.add(pool.submit(() -> gateway.get("/svc/held")));
                }
                Await.until(Duration.ofSeconds(5), "two requests in flight", () -> slow.requestCount() == 2);

                Response refused = gateway.get("/svc/third");

                assertThat(refused.status()).isEqualTo(503);
                assertThat(refused.bodyText()).isEqualTo("{\"error\":\"Service unavailable\"}");
                assertThat(held).as("answered while the held requests are still in flight")
                        .noneMatch(Future::isDone);
                assertThat(slow.requestCount()).isEqualTo(2);
                for (Future<Response> response : held) {
                    assertThat(response.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
                }
                assertThat(gateway.get("/svc/after").status()).as("room again").isEqualTo(200);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aResponseTimeoutIsRetriedOnAnotherTargetWhenListed() throws Exception {
        try (FlakyBackend stuck = FlakyBackend.start("stuck").slow(Duration.ofSeconds(3));
             FlakyBackend up = FlakyBackend.start("up");
             GatewayFixture gateway = GatewayFixture.withBackends().start(GatewayYaml.loopback().block("""
                     upstreams:
                       svc:
                         balance: round_robin
                         targets: [%s, %s]
                         retries: { attempts: 1, on: [timeout] }
                     """.formatted(stuck.url(), up.url())).openRoute("/svc", "svc", "timeout: 200ms"))) {
            for (int i = 0; i < 2; i++) {
                Response response = gateway.get("/svc/" + i);
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.bodyText()).isEqualTo("up");
            }
            assertThat(stuck.requestCount()).isEqualTo(1);
        }
    }
}
