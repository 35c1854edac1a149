package io.gatehouse.proxy;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** A fresh UUID in X-Request-Id on every response, the gateway's own included, and the same one at the backend. */
class RequestIdIT {

    private static final String KEY = GatewayYaml.KEY;
    private static final String UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

    private static TestBackend backend;
    private static GatewayFixture gateway;

    @BeforeAll
    static void start() {
        backend = TestBackend.start(TestBackend.ok("ok"));
        TestBackend silent = TestBackend.start(
                (request, connection) -> connection.awaitPeerClose(Duration.ofSeconds(20)));
        gateway = GatewayFixture.withBackends(backend, silent).start(GatewayYaml.standard()
                .key("key_live_once", "once", 1)
                .route("/api", backend.url())
                .openRoute("/down", TestBackend.closedUrl())
                .openRoute("/silent", silent.url(), "timeout: 300ms"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void everyResponseCarriesAFreshUuidTheGatewaysOwnErrorsIncluded() throws Exception {
        Map<Integer, Response> responses = new LinkedHashMap<>();
        responses.put(200, gateway.exchange("GET /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY + "\r\n\r\n"));
        responses.put(401, gateway.exchange("GET /api/a HTTP/1.1\r\nHost: gw\r\n\r\n"));
        responses.put(403, gateway.exchange("GET /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key: nope\r\n\r\n"));
        responses.put(404, gateway.exchange("GET /nowhere HTTP/1.1\r\nHost: gw\r\n\r\n"));
        gateway.exchange("GET /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key: key_live_once\r\n\r\n");
        responses.put(429, gateway.exchange("GET /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key: key_live_once\r\n\r\n"));
        responses.put(502, gateway.exchange("GET /down/a HTTP/1.1\r\nHost: gw\r\n\r\n"));
        responses.put(504, gateway.exchange("GET /silent/a HTTP/1.1\r\nHost: gw\r\n\r\n"));

        for (var entry : responses.entrySet()) {
            assertThat(entry.getValue().status()).isEqualTo(entry.getKey());
            assertThat(entry.getValue().headers("X-Request-Id")).as("X-Request-Id on " + entry.getKey())
                    .singleElement().asString().matches(UUID_PATTERN);
        }
        assertThat(responses.values().stream().map(r -> r.header("X-Request-Id")).distinct()).hasSize(7);
    }

    @Test
    void theBackendReceivesTheSameIdAndAClientSentOneIsReplaced() throws Exception {
        Response response = gateway.exchange("GET /api/b HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY
                + "\r\nX-Request-Id: chosen-by-client\r\nx-request-id: another\r\n\r\n");
        String id = response.header("X-Request-Id");
        assertThat(id).matches(UUID_PATTERN);
        assertThat(UUID.fromString(id).version()).isEqualTo(4);
        var received = backend.requests().get(backend.requests().size() - 1);
        assertThat(received.target()).isEqualTo("/api/b");
        assertThat(received.headers("X-Request-Id")).containsExactly(id);
    }
}
