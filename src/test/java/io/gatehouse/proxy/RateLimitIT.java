package io.gatehouse.proxy;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Per-client rate limiting end to end: the headers, the 429, and recovery after backing off. */
class RateLimitIT {

    private static final String KEY = GatewayYaml.KEY;

    private GatewayFixture gateway;

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private void startGateway(String window) {
        gateway = GatewayFixture.withWireMock().start(url -> GatewayYaml.loopback()
                .key(KEY, GatewayYaml.CLIENT, 3)
                .block("""
                        rate_limit:
                          window: %s
                        """.formatted(window))
                .route("/api", url));
    }

    private Response get(RawHttpClient client) throws Exception {
        client.send("GET /api/x HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY + "\r\n\r\n");
        return client.read();
    }

    @Test
    void theLimitPassesCountingDownThenAnswers429WithoutForwarding() throws Exception {
        startGateway("60s");
        try (RawHttpClient client = gateway.client()) {
            for (int remaining = 2; remaining >= 0; remaining--) {
                Response ok = get(client);
                assertThat(ok.status()).isEqualTo(200);
                assertThat(ok.header("X-RateLimit-Limit")).isEqualTo("3");
                assertThat(ok.header("X-RateLimit-Remaining")).isEqualTo(Integer.toString(remaining));
            }
            Response limited = get(client);
            assertThat(limited.status()).isEqualTo(429);
            assertThat(limited.header("Content-Type")).isEqualTo("application/problem+json");
            assertThat(limited.bodyText()).isEqualTo("{\"type\":\"https://iana.org/assignments/http-problem-types#quota-exceeded\","
                    + "\"title\":\"Rate limit exceeded\",\"status\":429,\"violated-policies\":[\"default\"],"
                    + "\"error\":\"Rate limit exceeded\"}");
            assertThat(limited.header("X-RateLimit-Limit")).isEqualTo("3");
            assertThat(limited.header("X-RateLimit-Remaining")).isEqualTo("0");
            // A request leaves the count between one window and one bucket (window / 20) later.
            assertThat(Long.parseLong(limited.header("Retry-After"))).isBetween(1L, 63L);
        }
        assertThat(gateway.wireMock().getAllServeEvents()).hasSize(3);
    }

    @Test
    void aClientThatKeepsRetryingWhileLimitedRecoversWhenItsRequestsLeaveTheWindow() throws Exception {
        startGateway("500ms");
        try (RawHttpClient client = gateway.client()) {
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
        assertThat(gateway.wireMock().getAllServeEvents()).hasSize(4);
    }
}
