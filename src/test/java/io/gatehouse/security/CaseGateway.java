package io.gatehouse.security;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@link GatewayFixture} in front of a recording {@link TestBackend}, with the access log captured, and the checks
 * that every REJECT row of SECURITY-CASES.md shares: the status, a JSON error, {@code Connection: close}, the close
 * after the write, one access-log line with the reason, and nothing forwarded.
 * <p>
 * The backend answers 200 {@code "METHOD target body"} after reading the whole body, and remembers the targets
 * whose body it read completely; a target ending in {@code /answer-early} is answered 417 before its body is read.
 * {@link #assertNothingForwardedSince} needs {@code /open/...} to reach this backend without a key.
 */
final class CaseGateway implements AutoCloseable {

    static final String KEY = GatewayYaml.KEY;
    static final String CLIENT = GatewayYaml.CLIENT;

    private final Set<String> completed = ConcurrentHashMap.newKeySet();
    private final GatewayFixture fixture;

    private CaseGateway(Function<String, GatewayYaml> yaml) {
        fixture = GatewayFixture.withBackend((request, connection) -> {
            if (request.target().endsWith("/answer-early")) {
                connection.respond(417, "early", "Connection: keep-alive");
                return;
            }
            String body = new String(request.body(), StandardCharsets.ISO_8859_1);
            completed.add(request.target());
            connection.respond(200, (request.method() + " " + request.target() + " " + body).trim(),
                    "Content-Type: text/plain");
        }).captureAccessLog().start(yaml);
    }

    /** Starts a gateway from the YAML for the backend's URL. */
    static CaseGateway start(Function<String, GatewayYaml> yaml) {
        return new CaseGateway(yaml);
    }

    int port() {
        return fixture.port();
    }

    TestBackend backend() {
        return fixture.backend();
    }

    /** Targets whose whole body reached the backend. */
    Set<String> completed() {
        return Set.copyOf(completed);
    }

    /** A position in the backend's request log, for {@link #assertNothingForwardedSince}. */
    int mark() {
        return fixture.requests().size();
    }

    /** Sends {@code raw} on a fresh connection and reads one response. */
    Response exchange(String raw) throws Exception {
        return fixture.exchange(raw);
    }

    Response assertRejected(String raw, int... statuses) throws Exception {
        return assertRejected(raw.getBytes(StandardCharsets.ISO_8859_1), statuses);
    }

    /**
     * REJECT: one of {@code statuses} with a JSON error and {@code Connection: close}, the connection closed after
     * it (so never a second response), an access-log line with the status and the reason, nothing forwarded.
     */
    Response assertRejected(byte[] raw, int... statuses) throws Exception {
        int mark = mark();
        Response response;
        try (RawHttpClient client = new RawHttpClient(port()).timeout(5000)) {
            client.send(raw);
            response = client.read();
            assertRefusal(response, statuses);
            assertThat(response.header("Connection")).as("Connection header").isEqualToIgnoringCase("close");
            assertThat(client.closedByServer()).as("closed by the gateway after the response, nothing more")
                    .isTrue();
        }
        assertThat(accessLine(response.header("X-Request-Id")))
                .contains(" -> " + response.status() + " ")
                .contains("backend=-")
                .contains(" error=\"");
        assertNothingForwardedSince(mark);
        return response;
    }

    /** A refusal that may keep the connection: status, JSON error, one access-log line; nothing forwarded. */
    Response assertRefused(String raw, int status) throws Exception {
        int mark = mark();
        Response response = exchange(raw);
        assertRefusal(response, status);
        assertThat(accessLine(response.header("X-Request-Id"))).contains(" -> " + status + " ").contains("backend=-");
        assertNothingForwardedSince(mark);
        return response;
    }

    static void assertRefusal(Response response, int... statuses) {
        assertThat(response.status()).as("status").isIn(box(statuses));
        assertThat(response.header("Content-Type")).isEqualTo("application/json");
        assertThat(response.bodyText()).as("JSON error body").matches("\\{\"error\":\"[^\"]+\"}");
    }

    private static Integer[] box(int[] values) {
        Integer[] boxed = new Integer[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return boxed;
    }

    /**
     * Nothing reached the backend since {@code mark}: a request sent afterwards on a fresh connection (which the
     * gateway handles after everything before it) is the only one the backend saw.
     */
    void assertNothingForwardedSince(int mark) throws Exception {
        String sentinel = "/open/sentinel-" + UUID.randomUUID();
        Response response = exchange("GET " + sentinel + " HTTP/1.1\r\nHost: gw\r\n\r\n");
        assertThat(response.status()).as("the sentinel request").isEqualTo(200);
        List<TestBackend.Request> requests = fixture.requests();
        assertThat(requests.subList(mark, requests.size())).as("requests the backend received")
                .extracting(TestBackend.Request::target).containsExactly(sentinel);
    }

    /** The one access-log line of this request, waiting for it if need be. */
    String accessLine(String requestId) {
        return fixture.accessLine(requestId);
    }

    @Override
    public void close() {
        fixture.close();
    }
}
