package io.gatehouse.proxy;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Backend keep-alive pooling, counted on the backend's accepted connections. One event loop, so that every client
 * connection shares one pool: reuse is observable and a wrongly pooled connection would be handed out.
 */
class PoolingIT {

    private TestBackend backend;
    private GatewayFixture gateway;

    private void start(TestBackend.Responder responder) {
        gateway = GatewayFixture.onePool(responder);
        backend = gateway.backend();
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void sequentialRequestsReuseOneBackendConnection() throws Exception {
        start(TestBackend.ok("pooled"));
        for (int i = 0; i < 5; i++) {
            assertThat(gateway.get("/new-client/" + i).bodyText()).isEqualTo("pooled");
        }
        try (RawHttpClient client = gateway.client()) {
            for (int i = 0; i < 5; i++) {
                client.send("POST /same-client/" + i + " HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\n\r\nbody");
                assertThat(client.read().bodyText()).isEqualTo("pooled");
            }
        }
        assertThat(backend.requests()).hasSize(10);
        assertThat(backend.connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void aBackendThatAnswersBeforeReadingTheBodyIsHeardAndItsConnectionIsNotReused() throws Exception {
        start((request, connection) -> {
            if (request.target().equals("/upload")) {
                // Answer at once, body unread; a real server would then drain or close.
                connection.respond(413, "{\"error\":\"too big\"}", "Content-Type: application/json");
            } else {
                connection.respond(200, "next");
            }
        });
        int length = 200_000;
        try (RawHttpClient client = gateway.client()) {
            client.send("POST /upload HTTP/1.1\r\nHost: gw\r\nContent-Length: " + length + "\r\n\r\n");
            client.send(new byte[1000]);
            Response early = client.read();
            assertThat(early.status()).isEqualTo(413);
            assertThat(early.bodyText()).isEqualTo("{\"error\":\"too big\"}");

            // The gateway skips the rest of the body and the client connection carries on.
            client.send(new byte[length - 1000]);
            client.send("GET /after HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response next = client.read();
            assertThat(next.status()).isEqualTo(200);
            assertThat(next.bodyText()).isEqualTo("next");
        }
        assertThat(backend.connectionsAccepted()).isEqualTo(2);
        assertThat(backend.connections().get(0).waitForPeerClose(Duration.ofSeconds(5))).isTrue();
        assertThat(backend.connections().get(1).requests()).extracting(r -> r.target()).containsExactly("/after");
    }

    @Test
    void anEarlyAnswerToAnExpect100ContinueRequestClosesBothConnections() throws Exception {
        start((request, connection) -> {
            if (request.target().equals("/upload")) {
                connection.respond(417, "no", "Connection: keep-alive");
            } else {
                connection.respond(200, "next");
            }
        });
        try (RawHttpClient client = gateway.client()) {
            client.send("PUT /upload HTTP/1.1\r\nHost: gw\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n");
            Response early = client.read();
            assertThat(early.status()).isEqualTo(417);
            assertThat(early.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(client.closedByServer()).isTrue();
        }
        assertThat(gateway.get("/after").bodyText()).isEqualTo("next");
        assertThat(backend.connectionsAccepted()).isEqualTo(2);
        assertThat(backend.connections().get(0).waitForPeerClose(Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void aPooledConnectionTheBackendClosedWhileIdleIsNotUsedAgain() throws Exception {
        start((request, connection) -> {
            connection.respond(200, "once");
            connection.close();
        });
        assertThat(gateway.get("/one").bodyText()).isEqualTo("once");
        assertThat(gateway.get("/two").bodyText()).isEqualTo("once");
        assertThat(backend.connectionsAccepted()).isEqualTo(2);
        assertThat(backend.requests()).hasSize(2);
    }

    /** Every connection answers its first request and closes on its second without answering. */
    private void startWithConnectionsThatDieOnTheirSecondRequest() {
        start((request, connection) -> {
            if (connection.requests().size() > 1) {
                connection.close();
            } else {
                connection.respond(200, "served by " + connection.index());
            }
        });
    }

    @Test
    void aGetOnAPooledConnectionThatDiesUnderItIsRetriedOnAFreshOne() throws Exception {
        startWithConnectionsThatDieOnTheirSecondRequest();
        assertThat(gateway.get("/first").bodyText()).isEqualTo("served by 0");
        Response retried = gateway.get("/second");
        assertThat(retried.status()).isEqualTo(200);
        assertThat(retried.bodyText()).isEqualTo("served by 1");
        assertThat(backend.requests()).extracting(r -> r.target()).containsExactly("/first", "/second", "/second");
    }

    @Test
    void aPostOnAPooledConnectionThatDiesUnderItIsNotRetried() throws Exception {
        startWithConnectionsThatDieOnTheirSecondRequest();
        assertThat(gateway.get("/first").bodyText()).isEqualTo("served by 0");
        try (RawHttpClient client = gateway.client()) {
            client.send("POST /order HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello");
            Response response = client.read();
            assertThat(response.status()).isEqualTo(502);
            assertThat(response.bodyText()).isEqualTo("{\"error\":\"Service unavailable\"}");
        }
        assertThat(backend.requests()).extracting(r -> r.target()).containsExactly("/first", "/order");
    }

    @Test
    void aBackendResponseWithConnectionCloseIsNotPooledAndDoesNotCloseTheClient() throws Exception {
        start((request, connection) -> {
            connection.respond(200, "served by " + connection.index(), "Connection: close");
            connection.close();
        });
        try (RawHttpClient client = gateway.client()) {
            for (int i = 0; i < 3; i++) {
                client.send("GET /" + i + " HTTP/1.1\r\nHost: gw\r\n\r\n");
                Response response = client.read();
                assertThat(response.bodyText()).isEqualTo("served by " + i);
                assertThat(response.headers("Connection")).isEmpty();
            }
        }
        assertThat(backend.connectionsAccepted()).isEqualTo(3);
    }
}
