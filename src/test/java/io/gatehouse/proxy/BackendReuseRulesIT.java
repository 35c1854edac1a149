package io.gatehouse.proxy;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rules that keep a backend connection out of the pool, each checked where a mistake shows: at the backend.
 * The gateway retries a request once when a pooled connection dies under it, so a connection pooled by mistake is
 * often repaired before the client notices; these tests do not look at the client alone but record, at the
 * backend, every request that reached a connection it must never have reached, and every attempt made. Where the
 * gateway would only find out on the next use (a half-written request, stray bytes), they also wait at the
 * backend for the close that must come as soon as the response ends, before any further request is sent.
 * <p>
 * One event loop, so that every client connection shares one pool and a wrongly pooled connection is handed out
 * to the very next request.
 */
class BackendReuseRulesIT {

    private TestBackend backend;
    private GatewayFixture gateway;
    /** What reached the backend on a connection that the gateway had to close instead of reusing. */
    private final List<String> misuses = new CopyOnWriteArrayList<>();

    private void start(TestBackend.Responder responder) {
        gateway = GatewayFixture.onePool(responder);
        backend = gateway.backend();
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private List<Integer> connectionOfEachRequest() {
        return backend.requests().stream().map(request -> request.connection().index()).toList();
    }

    /**
     * Waits, on a connection that must not be reused, for the gateway to close it; records whatever it sends
     * instead, and then closes the connection itself as a backend that had finished with it would.
     */
    private void recordAnythingSentBeforeTheClose(TestBackend.Connection connection, String why) throws Exception {
        byte[] next = connection.awaitBytesOrPeerClose(Duration.ofSeconds(10));
        if (next == null) {
            misuses.add(why + ": the gateway neither closed the connection nor used it within 10 s");
        } else if (next.length > 0) {
            misuses.add(why + ": received " + new String(next, StandardCharsets.ISO_8859_1).lines().findFirst()
                    .orElse(""));
        }
        connection.close();
    }

    /**
     * A backend that answers before it has read the request body and then waits for the body (or for the gateway
     * to close): the gateway must close that connection as soon as the response ends. Pooled, it would sit idle
     * with the backend still expecting the body, and the next request's bytes would be read as that body.
     */
    private void startWithABackendThatAnswersUploadsEarly(int status) {
        start((request, connection) -> {
            if (request.target().equals("/upload")) {
                connection.respond(status, "answered early");
                recordAnythingSentBeforeTheClose(connection, "connection " + connection.index()
                        + " answered before its request body");
            } else {
                connection.respond(200, "after");
            }
        });
    }

    private void assertTheHalfWrittenConnectionWasClosedAndNeverUsedAgain() throws Exception {
        assertThat(misuses)
                .as("rule: never reuse a half-written backend connection (request not fully sent when answered)")
                .isEmpty();
        assertThat(connectionOfEachRequest()).as("the next request on a new connection").containsExactly(0, 1);
    }

    @Test
    void aConnectionAnsweredBeforeTheRequestBodyWentOutIsClosedNotReused() throws Exception {
        startWithABackendThatAnswersUploadsEarly(413);
        int length = 100_000;
        try (RawHttpClient client = gateway.client()) {
            client.send("POST /upload HTTP/1.1\r\nHost: gw\r\nContent-Length: " + length + "\r\n\r\n");
            Response early = client.read();
            assertThat(early.status()).isEqualTo(413);
            assertThat(early.bodyText()).isEqualTo("answered early");
            assertThat(backend.connections().get(0).waitForPeerClose(Duration.ofSeconds(5)))
                    .as("rule: never reuse a half-written backend connection (closed when its early response ends,"
                            + " not pooled)")
                    .isTrue();

            // The rest of the request goes nowhere; the client connection carries on with the next request.
            client.send(new byte[length]);
            client.send("GET /after HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response next = client.read();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.bodyText()).isEqualTo("after");
        }
        assertTheHalfWrittenConnectionWasClosedAndNeverUsedAgain();
    }

    @Test
    void aConnectionAnsweredBeforeAnExpect100ContinueBodyWentOutIsClosedNotReused() throws Exception {
        startWithABackendThatAnswersUploadsEarly(417);
        try (RawHttpClient client = gateway.client()) {
            client.send("PUT /upload HTTP/1.1\r\nHost: gw\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n");
            Response early = client.read();
            assertThat(early.status()).isEqualTo(417);
            assertThat(backend.connections().get(0).waitForPeerClose(Duration.ofSeconds(5)))
                    .as("rule: never reuse a half-written backend connection (closed when its early response ends,"
                            + " not pooled)")
                    .isTrue();
        }
        assertThat(gateway.get("/after").bodyText()).isEqualTo("after");
        assertTheHalfWrittenConnectionWasClosedAndNeverUsedAgain();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"HTTP/1.1 200 OK\r\nConnection: close", "HTTP/1.0 200 OK"})
    void aConnectionTheBackendSaidItWouldCloseIsNeverUsedAgain(String statusAndHeaders) throws Exception {
        start((request, connection) -> {
            if (connection.requests().size() > 1) {
                misuses.add("request " + request.target() + " on connection " + connection.index()
                        + " after its response said the connection closes");
                connection.close();
                return;
            }
            // Say the connection closes, but leave it open: closing it is the gateway's job now.
            String body = "served by " + connection.index();
            connection.write(statusAndHeaders + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        });
        try (RawHttpClient client = gateway.client()) {
            for (int i = 0; i < 3; i++) {
                client.send("GET /" + i + " HTTP/1.1\r\nHost: gw\r\n\r\n");
                Response response = client.read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.bodyText()).startsWith("served by ");
            }
        }
        assertThat(misuses)
                .as("rule: never reuse a backend connection after the backend's Connection: close")
                .isEmpty();
        assertThat(connectionOfEachRequest()).as("each request on a new connection").containsExactly(0, 1, 2);
        for (TestBackend.Connection connection : backend.connections()) {
            assertThat(connection.waitForPeerClose(Duration.ofSeconds(5)))
                    .as("the gateway closed connection " + connection.index()).isTrue();
        }
    }

    /**
     * Every connection answers its first request; on its second it reads the whole request, body and all, then
     * closes without answering: the backend may have acted on it, so the gateway must not send it again.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"POST", "PUT", "DELETE"})
    void aRequestWhoseBodyWentOutOnAPooledConnectionThatThenDiesIsNotRetried(String method) throws Exception {
        start((request, connection) -> {
            if (connection.requests().size() > 1) {
                request.body();
                connection.close();
            } else {
                connection.respond(200, "served by " + connection.index());
            }
        });
        assertThat(gateway.get("/first").bodyText()).isEqualTo("served by 0");

        Response response;
        try (RawHttpClient client = gateway.client()) {
            client.send(method + " /order HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello");
            response = client.read();
        }
        assertThat(backend.requests()).extracting(TestBackend.Request::target)
                .as("rule: never retry once request body bytes went out (one attempt at the backend)")
                .containsExactly("/first", "/order");
        assertThat(response.status()).isEqualTo(502);
        assertThat(response.bodyText()).isEqualTo("{\"error\":\"Service unavailable\"}");
    }

    @Test
    void aBodilessRequestOnAPooledConnectionThatDiesIsRetriedOnANewOne() throws Exception {
        start((request, connection) -> {
            if (connection.requests().size() > 1) {
                connection.close();
            } else {
                connection.respond(200, "served by " + connection.index());
            }
        });
        assertThat(gateway.get("/first").bodyText()).isEqualTo("served by 0");
        try (RawHttpClient client = gateway.client()) {
            client.send("PUT /order HTTP/1.1\r\nHost: gw\r\nContent-Length: 0\r\n\r\n");
            Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("served by 1");
        }
        assertThat(connectionOfEachRequest()).containsExactly(0, 0, 1);
    }

    @Test
    void aConnectionWithStrayBytesAfterTheResponseIsClosedWhenTheResponseEnds() throws Exception {
        start((request, connection) -> {
            if (request.target().equals("/nocontent")) {
                connection.write("HTTP/1.1 204 No Content\r\n\r\nstray bytes");
                recordAnythingSentBeforeTheClose(connection, "connection " + connection.index()
                        + " with stray bytes after its response");
            } else {
                connection.respond(200, "after");
            }
        });
        Response response;
        try (RawHttpClient client = gateway.client()) {
            client.send("DELETE /nocontent HTTP/1.1\r\nHost: gw\r\n\r\n");
            response = client.read();
        }
        assertThat(backend.connections().get(0).waitForPeerClose(Duration.ofSeconds(5)))
                .as("rule: never pool a backend connection holding stray bytes (closed when its response ends)")
                .isTrue();
        assertThat(response.status()).isEqualTo(204);

        Response after = gateway.get("/after");
        assertThat(after.status()).isEqualTo(200);
        assertThat(after.bodyText()).isEqualTo("after");
        assertThat(misuses).as("rule: never reuse a backend connection holding stray bytes").isEmpty();
        assertThat(connectionOfEachRequest()).containsExactly(0, 1);
    }
}
