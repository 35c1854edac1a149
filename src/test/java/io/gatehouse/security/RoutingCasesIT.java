package io.gatehouse.security;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SECURITY-CASES.md rows R1–R4, end to end: what the backend receives for a tricky path, and that a rejected one
 * reaches no backend. The unit rules live in {@code RequestTargetTest}; this checks the whole pipeline applies them
 * before routing and forwards exactly the normalised path.
 */
class RoutingCasesIT {

    private static TestBackend users;
    private static TestBackend orders;
    private static GatewayFixture gateway;

    @BeforeAll
    static void start() {
        users = TestBackend.start((request, connection) -> connection.respond(200, "users"));
        orders = TestBackend.start((request, connection) -> connection.respond(200, "orders"));
        gateway = GatewayFixture.withBackends(users, orders).start(GatewayYaml.loopback()
                .openRoute("/api/users", users.url())
                .openRoute("/api/orders", orders.url()));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static int forwarded() {
        return users.requests().size() + orders.requests().size();
    }

    private static String lastTarget(TestBackend backend) {
        var requests = backend.requests();
        return requests.get(requests.size() - 1).target();
    }

    private static Response send(byte[] requestLineTarget) throws IOException {
        try (RawHttpClient client = gateway.client()) {
            client.send("GET ");
            client.send(requestLineTarget);
            client.send(" HTTP/1.1\r\nHost: gw\r\n\r\n");
            return client.read();
        }
    }

    private static Response get(String target) throws IOException {
        return send(target.getBytes(StandardCharsets.ISO_8859_1));
    }

    /**
     * Sends a target the gateway must refuse; asserts 400 with a JSON error, {@code Connection: close}, the close,
     * and nothing forwarded (a later request on a new connection is the only one the backend sees).
     */
    private static void assertRejected(byte[] target) throws IOException {
        int before = forwarded();
        try (RawHttpClient client = gateway.client()) {
            client.send("GET ");
            client.send(target);
            client.send(" HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response response = client.read();
            assertThat(response.status()).isEqualTo(400);
            assertThat(response.header("Content-Type")).isEqualTo("application/json");
            assertThat(response.bodyText()).startsWith("{\"error\":");
            assertThat(response.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(client.closedByServer()).isTrue();
        }
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /api/users/next HTTP/1.1\r\nHost: gw\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("users");
        }
        assertThat(forwarded()).as("requests forwarded").isEqualTo(before + 1);
        assertThat(lastTarget(users)).isEqualTo("/api/users/next");
    }

    @ParameterizedTest(name = "R1: {0} reaches the {1} backend as {2}")
    @DisplayName("R1: dot segments, encoded dots and double slashes are resolved before matching, and forwarded resolved")
    @CsvSource({
            "/api/users/../orders/1,    orders, /api/orders/1",
            "/api/users/%2e%2e/orders/1, orders, /api/orders/1",
            "/api/users/.%2E/orders/2,  orders, /api/orders/2",
            "//api/users/1,             users,  /api/users/1",
            "/api//users///1,           users,  /api/users/1",
            "/api/users/./%7Eann,       users,  /api/users/~ann",
    })
    void dotSegmentsAndDoubleSlashesAreResolvedBeforeMatchingAndForwardedResolved(String target, String backend,
                                                                                 String expected) throws Exception {
        Response response = get(target);
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo(backend);
        assertThat(lastTarget(backend.equals("users") ? users : orders)).isEqualTo(expected);
    }

    @Test
    @DisplayName("R1: a path that climbs out of every route is answered 404 and forwarded nowhere")
    void aPathThatClimbsOutOfEveryRouteIsAnswered404() throws Exception {
        int before = forwarded();
        Response response = get("/api/users/.%2E/x");
        assertThat(response.status()).isEqualTo(404);
        assertThat(response.bodyText()).isEqualTo("{\"error\":\"Route not found\"}");
        assertThat(forwarded()).isEqualTo(before);
    }

    @ParameterizedTest(name = "R2: {0} is rejected")
    @DisplayName("R2: an encoded slash, backslash or NUL in the path is rejected 400, and nothing is forwarded")
    @ValueSource(strings = {"/api/users/a%2fb", "/api/users/..%2F..%2Fetc", "/api/users/a%5cb", "/api/users/a%00b"})
    void encodedSlashBackslashAndNulAreRejected(String target) throws Exception {
        assertRejected(target.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    @DisplayName("R2: %3b is never decoded: forwarded as %3B, not as a path parameter")
    void anEncodedSemicolonIsForwardedStillEncoded() throws Exception {
        Response response = get("/api/users/1%3bjsessionid=x");
        assertThat(response.status()).isEqualTo(200);
        assertThat(lastTarget(users)).isEqualTo("/api/users/1%3Bjsessionid=x");
    }

    @ParameterizedTest(name = "R3: {0} matches no route")
    @DisplayName("R3: a prefix matches only whole segments: /api/usersX and /api/users%2e/admin get 404 and reach no backend")
    @ValueSource(strings = {"/api/usersX", "/api/users%2e/admin", "/api/users./admin", "/api/users-admin/1"})
    void aPrefixMatchesOnlyWholeSegments(String target) throws Exception {
        int before = forwarded();
        Response response = get(target);
        assertThat(response.status()).isEqualTo(404);
        assertThat(forwarded()).isEqualTo(before);
    }

    @Test
    @DisplayName("R4: a fragment in the target is rejected 400, and nothing is forwarded")
    void aFragmentIsRejected() throws Exception {
        assertRejected("/api/users/1#admin".getBytes(StandardCharsets.ISO_8859_1));
    }

    @ParameterizedTest(name = "R4: raw byte 0x{0} is rejected")
    @DisplayName("R4: raw bytes outside visible ASCII in the target are rejected 400, and nothing is forwarded")
    @ValueSource(strings = {"7f", "80", "e9", "ff", "01"})
    void rawBytesOutsideVisibleAsciiAreRejected(String hex) throws Exception {
        byte[] target = "/api/users/aXb".getBytes(StandardCharsets.ISO_8859_1);
        target[12] = (byte) Integer.parseInt(hex, 16);
        assertRejected(target);
    }

    @Test
    @DisplayName("R4: %0d%0a is forwarded still encoded, so the backend's request line holds no CR or LF")
    void anEncodedCrLfIsForwardedStillEncoded() throws Exception {
        Response response = get("/api/users/x%0d%0aX-Injected:%20yes");
        assertThat(response.status()).isEqualTo(200);
        var request = users.requests().get(users.requests().size() - 1);
        assertThat(request.target()).isEqualTo("/api/users/x%0D%0AX-Injected:%20yes");
        assertThat(request.header("X-Injected")).isNull();
    }

    @Test
    @DisplayName("R4: %252e is decoded at most once: forwarded as %252e, never as a dot segment")
    void aDoubleEncodedDotIsDecodedAtMostOnce() throws Exception {
        Response response = get("/api/users/%252e%252e/%252e%252e/admin");
        assertThat(response.status()).isEqualTo(200);
        assertThat(lastTarget(users)).isEqualTo("/api/users/%252e%252e/%252e%252e/admin");
    }
}
