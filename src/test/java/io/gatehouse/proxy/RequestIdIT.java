package io.gatehouse.proxy;

import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import io.gatehouse.testing.TestGateway;
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

    private static final String KEY = "key_live_abc123";
    private static final String UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

    private static TestBackend backend;
    private static TestBackend silent;
    private static TestGateway gateway;

    @BeforeAll
    static void start() {
        backend = TestBackend.start(TestBackend.ok("ok"));
        silent = TestBackend.start((request, connection) -> connection.awaitPeerClose(Duration.ofSeconds(20)));
        gateway = TestGateway.start("""
                server:
                  host: 127.0.0.1
                  port: 0
                auth:
                  keys:
                    - key: %s
                      name: mobile-app
                      rate_limit: 100000
                    - key: key_live_once
                      name: once
                      rate_limit: 1
                routes:
                  - prefix: /api
                    upstream: %s
                  - prefix: /down
                    upstream: http://127.0.0.1:%d
                    auth: none
                  - prefix: /silent
                    upstream: %s
                    auth: none
                    timeout: 300ms
                """.formatted(KEY, backend.url(), TestBackend.closedPort(), silent.url()));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        backend.close();
        silent.close();
    }

    private static Response send(String raw) throws Exception {
        try (RawHttpClient client = new RawHttpClient(gateway.port())) {
            client.send(raw);
            return client.read();
        }
    }

    @Test
    void everyResponseCarriesAFreshUuidTheGatewaysOwnErrorsIncluded() throws Exception {
        Map<Integer, Response> responses = new LinkedHashMap<>();
        responses.put(200, send("GET /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY + "\r\n\r\n"));
        responses.put(401, send("GET /api/a HTTP/1.1\r\nHost: gw\r\n\r\n"));
        responses.put(403, send("GET /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key: nope\r\n\r\n"));
        responses.put(404, send("GET /nowhere HTTP/1.1\r\nHost: gw\r\n\r\n"));
        send("GET /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key: key_live_once\r\n\r\n");
        responses.put(429, send("GET /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key: key_live_once\r\n\r\n"));
        responses.put(502, send("GET /down/a HTTP/1.1\r\nHost: gw\r\n\r\n"));
        responses.put(504, send("GET /silent/a HTTP/1.1\r\nHost: gw\r\n\r\n"));

        for (var entry : responses.entrySet()) {
            assertThat(entry.getValue().status()).isEqualTo(entry.getKey());
            assertThat(entry.getValue().headers("X-Request-Id")).as("X-Request-Id on " + entry.getKey())
                    .singleElement().asString().matches(UUID_PATTERN);
        }
        assertThat(responses.values().stream().map(r -> r.header("X-Request-Id")).distinct()).hasSize(7);
    }

    @Test
    void theBackendReceivesTheSameIdAndAClientSentOneIsReplaced() throws Exception {
        Response response = send("GET /api/b HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY
                + "\r\nX-Request-Id: chosen-by-client\r\nx-request-id: another\r\n\r\n");
        String id = response.header("X-Request-Id");
        assertThat(id).matches(UUID_PATTERN);
        assertThat(UUID.fromString(id).version()).isEqualTo(4);
        var received = backend.requests().get(backend.requests().size() - 1);
        assertThat(received.target()).isEqualTo("/api/b");
        assertThat(received.headers("X-Request-Id")).containsExactly(id);
    }
}
