package io.gatehouse.proxy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** API-key authentication end to end against a WireMock backend: who gets through, and what the backend sees. */
class AuthIT {

    private static final String KEY = GatewayYaml.KEY;

    private static GatewayFixture gateway;
    private static WireMockServer backend;

    @BeforeAll
    static void start() {
        gateway = GatewayFixture.withWireMock().start(url -> GatewayYaml.standard()
                .key("key_live_def456", "web-dashboard", 100000)
                .route("/api/users", url)
                .openRoute("/api/open", url));
        backend = gateway.wireMock();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @BeforeEach
    void forgetRequests() {
        backend.resetRequests();
    }

    private static void assertJsonError(Response response, int status, String body) {
        assertThat(response.status()).isEqualTo(status);
        assertThat(response.header("Content-Type")).isEqualTo("application/json");
        assertThat(response.bodyText()).isEqualTo(body);
    }

    @Test
    void aMissingKeyIsAnswered401AndNothingIsForwarded() throws Exception {
        assertJsonError(gateway.exchange("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\n\r\n"),
                401, "{\"error\":\"Missing X-API-Key header\"}");
        assertJsonError(gateway.exchange("GET /api/users/1?X-API-Key=" + KEY + " HTTP/1.1\r\nHost: gw\r\n\r\n"),
                401, "{\"error\":\"Missing X-API-Key header\"}");
        assertThat(backend.getAllServeEvents()).isEmpty();
    }

    @Test
    void anEmptyKeyIsAnswered401AndNothingIsForwarded() throws Exception {
        assertJsonError(gateway.exchange("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\nX-API-Key:\r\n\r\n"),
                401, "{\"error\":\"Missing X-API-Key header\"}");
        assertJsonError(gateway.exchange("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\nX-API-Key:    \r\n\r\n"),
                401, "{\"error\":\"Missing X-API-Key header\"}");
        assertThat(backend.getAllServeEvents()).isEmpty();
    }

    @Test
    void anUnknownKeyIsAnswered403AndNothingIsForwarded() throws Exception {
        assertJsonError(gateway.exchange("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\nX-API-Key: key_live_nope\r\n\r\n"),
                403, "{\"error\":\"Invalid API key\"}");
        assertThat(backend.getAllServeEvents()).isEmpty();
    }

    @Test
    void aRejectedUploadIsNotForwardedAndTheConnectionStaysUsable() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.send("POST /api/users/1 HTTP/1.1\r\nHost: gw\r\nX-API-Key: wrong\r\nContent-Length: 11\r\n\r\n"
                    + "hello world");
            assertThat(client.read().status()).isEqualTo(403);
            assertThat(backend.getAllServeEvents()).isEmpty();

            // The rejected body was skipped, not taken for the next request.
            client.send("GET /api/users/2 HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY + "\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        try (RawHttpClient client = gateway.client()) {
            // A chunked body of unknown length: the gateway may close after the 401 rather than skip it.
            client.send("POST /api/users/1 HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n0\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(401);
        }
        assertThat(backend.getAllServeEvents()).hasSize(1);
    }

    @Test
    void theKeyHeaderNameMatchesInAnyCase() throws Exception {
        assertThat(gateway.exchange("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\nx-api-key: " + KEY + "\r\n\r\n").status())
                .isEqualTo(200);
        assertThat(gateway.exchange("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\nX-API-KEY: " + KEY + "\r\n\r\n").status())
                .isEqualTo(200);
        assertThat(gateway.exchange("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\nX-Api-Key:  " + KEY + "  \r\n\r\n")
                .status()).isEqualTo(200);
    }

    @Test
    void theBackendGetsTheClientNameInsteadOfTheKey() throws Exception {
        Response response = gateway.exchange("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\nX-API-Key: key_live_def456\r\n"
                + "X-Client-Name: admin\r\nx-client-name: root\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        LoggedRequest received = backend.getAllServeEvents().get(0).getRequest();
        assertThat(received.containsHeader("X-API-Key")).isFalse();
        assertThat(received.getHeaders().getHeader("X-Client-Name").values()).containsExactly("web-dashboard");
    }

    @Test
    void anOpenRouteNeedsNoKeyAndStillNeverForwardsOneOrAClientName() throws Exception {
        assertThat(gateway.exchange("GET /api/open/1 HTTP/1.1\r\nHost: gw\r\n\r\n").status()).isEqualTo(200);
        Response withJunk = gateway.exchange("GET /api/open/2 HTTP/1.1\r\nHost: gw\r\nX-API-Key: whatever\r\n"
                + "X-Client-Name: admin\r\n\r\n");
        assertThat(withJunk.status()).isEqualTo(200);
        var events = backend.getAllServeEvents();
        assertThat(events).hasSize(2);
        for (var event : events) {
            assertThat(event.getRequest().containsHeader("X-API-Key")).isFalse();
            assertThat(event.getRequest().containsHeader("X-Client-Name")).isFalse();
        }
    }

    @Test
    void anUploadAfterARejectedUploadOnTheSameConnectionReachesTheBackendWhole() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.timeout(5_000);
            client.send("POST /api/users/1 HTTP/1.1\r\nHost: gw\r\nContent-Length: 11\r\n\r\nhello world");
            assertThat(client.read().status()).isEqualTo(401);
            client.send("POST /api/users/2 HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY
                    + "\r\nContent-Length: 6\r\n\r\nsecond");
            assertThat(client.read().status()).isEqualTo(200);
        }
        assertThat(backend.getAllServeEvents()).singleElement()
                .satisfies(event -> assertThat(event.getRequest().getBodyAsString()).isEqualTo("second"));
    }
}
