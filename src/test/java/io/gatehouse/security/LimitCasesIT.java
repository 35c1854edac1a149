package io.gatehouse.security;

import io.gatehouse.testing.Await;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SECURITY-CASES.md, "Limits": rows L1 to L3 through the whole gateway, with the default limits (request line
 * 16 KiB, header block 32 KiB, 100 headers) and a route whose body limit is 1 KiB.
 */
class LimitCasesIT {

    private static final int REQUEST_LINE_LIMIT = 16 * 1024;
    private static final int BODY_LIMIT = 1024;

    private static CaseGateway gateway;

    @BeforeAll
    static void start() {
        gateway = CaseGateway.start(backend -> GatewayYaml.standard()
                .openRoute("/open", backend)
                .openRoute("/limited", backend, "max_body: 1KiB")
                .route("/keyed", backend));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    @DisplayName("L1: an 8 KB URL passes")
    void anEightKilobyteUrlPasses() throws Exception {
        String target = "/open/" + "u".repeat(8 * 1024);
        Response response = gateway.exchange("GET " + target + " HTTP/1.1\r\nHost: gw\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo("GET " + target);
    }

    @Test
    @DisplayName("L1: an 8 KB header value passes")
    void anEightKilobyteHeaderValuePasses() throws Exception {
        String value = "v".repeat(8 * 1024);
        int mark = gateway.mark();
        Response response = gateway.exchange("GET /open/big-header HTTP/1.1\r\nHost: gw\r\nX-Big: " + value
                + "\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(gateway.backend().requests().get(mark).header("X-Big")).isEqualTo(value);
    }

    @Test
    @DisplayName("L1: a request line of exactly 16 KiB passes")
    void aRequestLineOfExactlySixteenKibibytesPasses() throws Exception {
        Response response = gateway.exchange(requestLine(REQUEST_LINE_LIMIT) + "\r\nHost: gw\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
    }

    @Test
    @DisplayName("L1: a request line one byte over 16 KiB is refused with 414")
    void aRequestLineOneByteOverSixteenKibibytesIsRefusedWith414() throws Exception {
        gateway.assertRejected(requestLine(REQUEST_LINE_LIMIT + 1) + "\r\nHost: gw\r\n\r\n", 414);
    }

    @Test
    @DisplayName("L1: a header block over 32 KiB is refused with 431")
    void aHeaderBlockOverThirtyTwoKibibytesIsRefusedWith431() throws Exception {
        StringBuilder raw = new StringBuilder("GET /open/many-bytes HTTP/1.1\r\nHost: gw\r\n");
        for (int i = 0; i < 5; i++) {
            raw.append("X-Filler-").append(i).append(": ").append("f".repeat(7000)).append("\r\n");
        }
        gateway.assertRejected(raw.append("\r\n").toString(), 431);
    }

    @Test
    @DisplayName("L1: 100 headers pass")
    void oneHundredHeadersPass() throws Exception {
        Response response = gateway.exchange(withHeaders(100));
        assertThat(response.status()).isEqualTo(200);
    }

    @Test
    @DisplayName("L1: 101 headers are refused with 431")
    void oneHundredAndOneHeadersAreRefusedWith431() throws Exception {
        gateway.assertRejected(withHeaders(101), 431);
    }

    /** Headers named in Connection are removed as hop-by-hop, but they were sent and count against the limit. */
    @Test
    @DisplayName("L1: headers the gateway strips as hop-by-hop still count towards the 100")
    void headersStrippedAsHopByHopStillCount() throws Exception {
        StringBuilder raw = new StringBuilder("GET /open/hop HTTP/1.1\r\nHost: gw\r\nConnection: ");
        for (int i = 0; i < 100; i++) {
            raw.append(i == 0 ? "" : ", ").append("X-Hop-").append(i);
        }
        raw.append("\r\n");
        for (int i = 0; i < 100; i++) {
            raw.append("X-Hop-").append(i).append(": h\r\n");
        }
        gateway.assertRejected(raw.append("\r\n").toString(), 431);
    }

    @ParameterizedTest(name = "L2: {0}")
    @ValueSource(strings = {"X_API_Key: key_live_abc123", "X_Forwarded_For: 10.0.0.1", "Content_Length: 5",
            "_: x", "X-Client_Name: admin"})
    @DisplayName("L2: an underscore in a header name is refused")
    void anUnderscoreInAHeaderNameIsRefused(String header) throws Exception {
        gateway.assertRejected("GET /keyed/a HTTP/1.1\r\nHost: gw\r\n" + header + "\r\n\r\n", 400);
    }

    @Test
    @DisplayName("L3: a Content-Length over the route's body limit is answered 413 before anything is forwarded")
    void aContentLengthOverTheRouteLimitIsAnswered413BeforeForwarding() throws Exception {
        Response response = gateway.assertRefused("POST /limited/declared HTTP/1.1\r\nHost: gw\r\nContent-Length: "
                + (BODY_LIMIT + 1) + "\r\n\r\n" + "b".repeat(BODY_LIMIT + 1), 413);
        assertThat(gateway.accessLine(response.header("X-Request-Id")))
                .contains("error=\"declared body over the route's limit\"");
    }

    @Test
    @DisplayName("L3: a body of exactly the route's limit passes")
    void aBodyOfExactlyTheRouteLimitPasses() throws Exception {
        Response response = gateway.exchange("POST /limited/exact HTTP/1.1\r\nHost: gw\r\nContent-Length: "
                + BODY_LIMIT + "\r\n\r\n" + "b".repeat(BODY_LIMIT));
        assertThat(response.status()).isEqualTo(200);
    }

    @Test
    @DisplayName("L3: a chunked body that grows past the limit aborts the backend request and the client gets 413 "
            + "and a close")
    void aChunkedBodyThatGrowsPastTheLimitAbortsTheBackendRequest() throws Exception {
        String target = "/limited/stream-" + System.nanoTime();
        int mark = gateway.mark();
        try (RawHttpClient client = new RawHttpClient(gateway.port()).timeout(5000)) {
            client.send("POST " + target + " HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "200\r\n" + "a".repeat(512) + "\r\n");
            Await.until(Duration.ofSeconds(5), "the head at the backend",
                    () -> gateway.backend().requests().size() > mark);
            client.send("400\r\n" + "b".repeat(1024) + "\r\n");
            try {
                Response response = client.read();
                CaseGateway.assertRefusal(response, 413);
                assertThat(response.header("Connection")).isEqualToIgnoringCase("close");
                assertThat(gateway.accessLine(response.header("X-Request-Id")))
                        .contains("error=\"body grew past the route's limit\"");
            } catch (IOException closedWithoutAnswer) {
                // The row allows a bare close once the response has begun.
            }
            assertThat(client.closedByServer()).isTrue();
        }
        List<TestBackend.Request> requests = gateway.backend().requests();
        TestBackend.Request streamed = requests.get(mark);
        assertThat(streamed.target()).isEqualTo(target);
        assertThat(streamed.connection().waitForPeerClose(Duration.ofSeconds(5)))
                .as("the backend connection is closed without the end of the body").isTrue();
        assertThat(gateway.completed()).doesNotContain(target);
    }

    /** {@code GET /open/xxx… HTTP/1.1}, exactly {@code length} bytes long. */
    private static String requestLine(int length) {
        String prefix = "GET /open/";
        String suffix = " HTTP/1.1";
        return prefix + "x".repeat(length - prefix.length() - suffix.length()) + suffix;
    }

    /** A request with exactly {@code count} header lines, Host included. */
    private static String withHeaders(int count) {
        StringBuilder raw = new StringBuilder("GET /open/headers HTTP/1.1\r\nHost: gw\r\n");
        for (int i = 1; i < count; i++) {
            raw.append("X-Header-").append(i).append(": ").append(i).append("\r\n");
        }
        return raw.append("\r\n").toString();
    }
}
