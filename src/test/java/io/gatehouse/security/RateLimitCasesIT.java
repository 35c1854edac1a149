package io.gatehouse.security;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SECURITY-CASES.md rows RL1 and RL5 end to end (RL2–RL4 are properties of the limiter itself, proven with a fake
 * clock in {@code SlidingWindowRateLimiterTest}). Gatehouse limits per API client, never per IP: there are no
 * per-IP limits and no trusted proxies yet, so no header can move a request into another client's budget.
 */
class RateLimitCasesIT {

    private static final String KEY_A = "key_live_aaaaaaaaaaaa";
    private static final String KEY_B = "key_live_bbbbbbbbbbbb";

    private TestBackend backend;
    private GatewayFixture gateway;

    private void start(String window) {
        gateway = GatewayFixture.withBackend((request, connection) -> connection.respond(200, "ok"))
                .start(url -> GatewayYaml.loopback()
                        .key(KEY_A, "client-a", 3)
                        .key(KEY_B, "client-b", 3)
                        .block("""
                                rate_limit:
                                  window: %s
                                """.formatted(window))
                        .route("/api", url));
        backend = gateway.backend();
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private static Response get(RawHttpClient client, String key, String extraHeader) throws Exception {
        client.send("GET /api/x HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + key + "\r\n" + extraHeader + "\r\n");
        return client.read();
    }

    @Test
    @DisplayName("RL1: a spoofed X-Forwarded-For changes nothing: the budget is the API client's, and the backend sees the real peer last")
    void aSpoofedForwardedForDoesNotChangeWhoseBudgetIsUsed() throws Exception {
        start("60s");
        try (RawHttpClient client = gateway.client()) {
            for (int i = 0; i < 3; i++) {
                Response ok = get(client, KEY_A, "X-Forwarded-For: 203.0.113." + i + "\r\n");
                assertThat(ok.status()).isEqualTo(200);
                assertThat(ok.header("X-RateLimit-Remaining")).isEqualTo(Integer.toString(2 - i));
            }
            Response limited = get(client, KEY_A, "X-Forwarded-For: 198.51.100.77\r\nX-Real-IP: 198.51.100.78\r\n"
                    + "Forwarded: for=198.51.100.79\r\nX-Client-Name: client-b\r\n");
            assertThat(limited.status()).isEqualTo(429);
            assertThat(limited.bodyText()).isEqualTo("{\"type\":\"https://iana.org/assignments/http-problem-types#quota-exceeded\","
                    + "\"title\":\"Rate limit exceeded\",\"status\":429,\"violated-policies\":[\"default\"],"
                    + "\"error\":\"Rate limit exceeded\"}");

            // Another client's budget is its own, whatever addresses either claims.
            Response other = get(client, KEY_B, "X-Forwarded-For: 203.0.113.0\r\n");
            assertThat(other.status()).isEqualTo(200);
            assertThat(other.header("X-RateLimit-Remaining")).isEqualTo("2");
        }
        var requests = backend.requests();
        assertThat(requests).hasSize(4);
        assertThat(requests.get(0).header("X-Forwarded-For")).isEqualTo("203.0.113.0, 127.0.0.1");
        assertThat(requests.get(0).header("X-Client-Name")).isEqualTo("client-a");
        assertThat(requests.get(3).header("X-Client-Name")).isEqualTo("client-b");
    }

    @Test
    @DisplayName("RL5: rejected requests do not count: a client that keeps retrying while limited is admitted again on schedule")
    void rejectedRequestsDoNotCountAgainstTheClient() throws Exception {
        start("600ms");
        try (RawHttpClient client = gateway.client()) {
            long start = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                assertThat(get(client, KEY_A, "").status()).isEqualTo(200);
            }
            int rejected = 0;
            Response response;
            while ((response = get(client, KEY_A, "")).status() == 429) {
                rejected++;
                assertThat(response.header("Connection")).isNull();
                assertThat(System.nanoTime() - start).as("admitted again within 5 s").isLessThan(5_000_000_000L);
                Thread.sleep(5);
            }
            assertThat(response.status()).isEqualTo(200);
            assertThat(rejected).isPositive();
            // Admitted no earlier than one window after the first admission: the limit held meanwhile.
            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(600_000_000L);
        }
        assertThat(backend.requests()).as("rejected requests never forwarded").hasSize(4);
    }
}
