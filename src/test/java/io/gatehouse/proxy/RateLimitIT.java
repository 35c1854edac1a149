package io.gatehouse.proxy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/** Per-client rate limiting end to end: the headers, the 429, and recovery after backing off. */
class RateLimitIT {

    private static final String KEY = "key_live_abc123";

    private WireMockServer backend;
    private TestGateway gateway;

    @BeforeEach
    void startBackend() {
        backend = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        backend.start();
        backend.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("ok")));
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
        backend.stop();
    }

    private void startGateway(String window) {
        gateway = TestGateway.start("""
                server:
                  host: 127.0.0.1
                  port: 0
                auth:
                  keys:
                    - key: %s
                      name: mobile-app
                      rate_limit: 3
                rate_limit:
                  window: %s
                routes:
                  - prefix: /api
                    upstream: http://127.0.0.1:%d
                """.formatted(KEY, window, backend.port()));
    }

    private Response get(RawHttpClient client) throws Exception {
        client.send("GET /api/x HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY + "\r\n\r\n");
        return client.read();
    }

    @Test
    void theLimitPassesCountingDownThenAnswers429WithoutForwarding() throws Exception {
        startGateway("60s");
        try (RawHttpClient client = new RawHttpClient(gateway.port())) {
            for (int remaining = 2; remaining >= 0; remaining--) {
                Response ok = get(client);
                assertThat(ok.status()).isEqualTo(200);
                assertThat(ok.header("X-RateLimit-Limit")).isEqualTo("3");
                assertThat(ok.header("X-RateLimit-Remaining")).isEqualTo(Integer.toString(remaining));
            }
            Response limited = get(client);
            assertThat(limited.status()).isEqualTo(429);
            assertThat(limited.header("Content-Type")).isEqualTo("application/json");
            assertThat(limited.bodyText()).isEqualTo("{\"error\":\"Rate limit exceeded\"}");
            assertThat(limited.header("X-RateLimit-Limit")).isEqualTo("3");
            assertThat(limited.header("X-RateLimit-Remaining")).isEqualTo("0");
            // A request leaves the count between one window and one bucket (window / 20) later.
            assertThat(Long.parseLong(limited.header("Retry-After"))).isBetween(1L, 63L);
        }
        assertThat(backend.getAllServeEvents()).hasSize(3);
    }

    @Test
    void aClientThatKeepsRetryingWhileLimitedRecoversWhenItsRequestsLeaveTheWindow() throws Exception {
        startGateway("500ms");
        try (RawHttpClient client = new RawHttpClient(gateway.port())) {
            for (int i = 0; i < 3; i++) {
                assertThat(get(client).status()).isEqualTo(200);
            }
            // Hammer while limited: if rejections counted, the client would never get through again.
            int rejected = 0;
            long deadline = System.nanoTime() + 5_000_000_000L;
            Response response;
            while ((response = get(client)).status() == 429) {
                rejected++;
                assertThat(Long.parseLong(response.header("Retry-After"))).isGreaterThanOrEqualTo(1);
                assertThat(System.nanoTime() - deadline).as("admitted again within 5 s").isNegative();
                Thread.onSpinWait();
            }
            assertThat(response.status()).isEqualTo(200);
            assertThat(rejected).isPositive();
        }
        assertThat(backend.getAllServeEvents()).hasSize(4);
    }
}
