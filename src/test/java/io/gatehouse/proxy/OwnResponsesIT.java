package io.gatehouse.proxy;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every response the gateway makes — every status, from every stage of the request path, and the backend's own —
 * carries the same decoration from the one finisher: a fresh {@code X-Request-Id}, the CORS headers for the
 * request's Origin with {@code Vary: Origin}, and, once a rate-limit decision was made, the rate-limit headers.
 * One request per kind of own response.
 */
class OwnResponsesIT {

    private static final String ORIGIN = "https://app.example.com";
    private static final String KEY = GatewayYaml.KEY;
    private static final String ONCE_KEY = "key_live_once";
    private static final String UUID = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

    private static final CountDownLatch RELEASE = new CountDownLatch(1);
    private static GatewayFixture gateway;

    @BeforeAll
    static void start() {
        gateway = GatewayFixture.withBackend((request, connection) -> {
            if (request.target().startsWith("/slow")) {
                RELEASE.await(30, TimeUnit.SECONDS);
                return;
            }
            request.body();
            connection.respond(200, "ok");
        }).start(backend -> GatewayYaml.standard()
                .server("header_timeout: 500ms", "body_timeout: 500ms")
                .key(ONCE_KEY, "once", 1)
                .block("""
                        cors:
                          allow_origins: ["%s"]
                        """.formatted(ORIGIN))
                .route("/api", backend, "max_body: 16")
                .route("/slow", backend, "timeout: 300ms")
                .route("/down", TestBackend.closedUrl()));
    }

    @AfterAll
    static void stop() {
        RELEASE.countDown();
        gateway.close();
    }

    @Test
    void everyKindOfResponseCarriesTheSameDecoration() throws IOException {
        String o = "Origin: " + ORIGIN + "\r\n";
        String key = "X-API-Key: " + KEY + "\r\n";
        Map<String, String> requests = new LinkedHashMap<>();
        requests.put("400 framing", "POST /api/x HTTP/1.1\r\nHost: gw\r\n" + o
                + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        requests.put("400 target", "GET /api/%00 HTTP/1.1\r\nHost: gw\r\n" + o + "\r\n");
        requests.put("400 key bytes", "GET /api/x HTTP/1.1\r\nHost: gw\r\n" + o + "X-API-Key: k\u00e9y\r\n\r\n");
        requests.put("400 body", "POST /api/x HTTP/1.1\r\nHost: gw\r\n" + o + key
                + "Transfer-Encoding: chunked\r\n\r\nzz\r\n");
        requests.put("404", "GET /nowhere HTTP/1.1\r\nHost: gw\r\n" + o + "\r\n");
        requests.put("401", "GET /api/x HTTP/1.1\r\nHost: gw\r\n" + o + "\r\n");
        requests.put("403", "GET /api/x HTTP/1.1\r\nHost: gw\r\n" + o + "X-API-Key: nope\r\n\r\n");
        requests.put("413 declared", "POST /api/x HTTP/1.1\r\nHost: gw\r\n" + o + key
                + "Content-Length: 17\r\n\r\n12345678901234567");
        requests.put("413 streamed", "POST /api/x HTTP/1.1\r\nHost: gw\r\n" + o + key
                + "Transfer-Encoding: chunked\r\n\r\n11\r\n12345678901234567\r\n0\r\n\r\n");
        requests.put("502", "GET /down/x HTTP/1.1\r\nHost: gw\r\n" + o + key + "\r\n");
        requests.put("504", "GET /slow/x HTTP/1.1\r\nHost: gw\r\n" + o + key + "\r\n");
        requests.put("408 body", "POST /api/x HTTP/1.1\r\nHost: gw\r\n" + o + key + "Content-Length: 4\r\n\r\nab");
        requests.put("204 preflight", "OPTIONS /api/x HTTP/1.1\r\nHost: gw\r\n" + o
                + "Access-Control-Request-Method: POST\r\n\r\n");
        requests.put("200 health", "GET /health HTTP/1.1\r\nHost: gw\r\n" + o + "\r\n");
        requests.put("200 proxied", "GET /api/x HTTP/1.1\r\nHost: gw\r\n" + o + key + "\r\n");

        for (var entry : requests.entrySet()) {
            Response response = gateway.exchange(entry.getValue());
            String kind = entry.getKey();
            assertThat(response.status()).as(kind).isEqualTo(Integer.parseInt(kind.substring(0, 3)));
            assertThat(response.header("X-Request-Id")).as(kind + ": X-Request-Id").matches(UUID);
            assertThat(response.header("Access-Control-Allow-Origin")).as(kind + ": CORS").isEqualTo(ORIGIN);
            assertThat(response.header("Vary")).as(kind + ": Vary").containsIgnoringCase("Origin");
        }
    }

    @Test
    void responsesAfterTheRateLimitDecisionCarryItsHeadersWhateverTheirStatus() throws IOException {
        String key = "X-API-Key: " + KEY + "\r\n";
        for (String request : new String[] {
                "GET /api/x HTTP/1.1\r\nHost: gw\r\n" + key + "\r\n",
                "GET /down/x HTTP/1.1\r\nHost: gw\r\n" + key + "\r\n",
                "GET /slow/x HTTP/1.1\r\nHost: gw\r\n" + key + "\r\n"}) {
            Response response = gateway.exchange(request);
            assertThat(response.header("X-RateLimit-Limit")).as(request).isEqualTo("100000");
            assertThat(response.header("X-RateLimit-Remaining")).as(request).isNotNull();
        }
        String once = "GET /api/x HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + ONCE_KEY + "\r\n\r\n";
        assertThat(gateway.exchange(once).status()).isEqualTo(200);
        Response limited = gateway.exchange(once);
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.header("X-RateLimit-Limit")).isEqualTo("1");
        assertThat(limited.header("X-RateLimit-Remaining")).isEqualTo("0");
        assertThat(limited.header("Retry-After")).isNotNull();
        assertThat(limited.header("X-Request-Id")).matches(UUID);
    }

    @Test
    void aRequestHeadThatNeverCompletesGets408WithARequestIdOfItsOwn() throws IOException {
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /api/x HTTP/1.1\r\nHost: gw\r\n");
            Response response = client.read();
            assertThat(response.status()).isEqualTo(408);
            assertThat(response.header("X-Request-Id")).matches(UUID);
            assertThat(response.header("Vary")).containsIgnoringCase("Origin");
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void aKeepAliveConnectionsHeaderTimeoutDoesNotReuseThePreviousRequestsId() throws IOException {
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /health HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response first = client.read();
            client.send("GET /health HTTP/1.1\r\n");
            Response timedOut = client.read();
            assertThat(timedOut.status()).isEqualTo(408);
            assertThat(timedOut.header("X-Request-Id")).matches(UUID).isNotEqualTo(first.header("X-Request-Id"));
        }
    }
}
