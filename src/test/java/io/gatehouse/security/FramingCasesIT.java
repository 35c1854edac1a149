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
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * SECURITY-CASES.md, "Framing and parsing (request smuggling)": rows P1 to P15, each sent as raw bytes through the
 * whole gateway to a recording backend. A REJECT is checked in full by {@link CaseGateway#assertRejected}: status,
 * JSON error, {@code Connection: close}, the close, the access-log reason, and nothing forwarded.
 */
class FramingCasesIT {

    private static final String POST = "POST /p HTTP/1.1\r\nHost: gw\r\n";
    private static final String CHUNKED = POST + "Transfer-Encoding: chunked\r\n\r\n";

    private static CaseGateway gateway;

    @BeforeAll
    static void start() {
        gateway = CaseGateway.start(backend -> GatewayYaml.loopback().openRoute("/", backend));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    static Stream<Arguments> contentLengthWithTransferEncoding() {
        String hidden = "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: gw\r\n\r\n";
        return Stream.of(
                arguments(named("Content-Length first", POST + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + hidden)),
                arguments(named("Transfer-Encoding first", POST + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
                        + hidden)),
                arguments(named("odd spacing and case", POST + "content-length:5\r\ntransfer-encoding:   CHUNKED  \r\n\r\n"
                        + hidden)),
                arguments(named("tab before the value", POST + "Content-Length:\t5\r\nTransfer-Encoding:\tchunked\r\n\r\n"
                        + hidden)),
                arguments(named("Content-Length 0", POST + "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n"
                        + hidden)));
    }

    @ParameterizedTest(name = "P1: {0}")
    @MethodSource("contentLengthWithTransferEncoding")
    @DisplayName("P1: Content-Length with Transfer-Encoding is refused and the hidden request never answered")
    void contentLengthWithTransferEncodingIsRefusedAndTheHiddenRequestNeverAnswered(String raw) throws Exception {
        gateway.assertRejected(raw, 400);
        assertThat(gateway.backend().requests()).extracting(TestBackend.Request::target).doesNotContain("/smuggled");
    }

    @ParameterizedTest(name = "P2: {0}")
    @ValueSource(strings = {"Content-Length: 5\r\nContent-Length: 5", "Content-Length: 5\r\nContent-Length: 6",
            "Content-Length: 5, 5", "Content-Length: 5,5"})
    @DisplayName("P2: two Content-Length values are refused")
    void twoContentLengthValuesAreRefused(String headers) throws Exception {
        gateway.assertRejected(POST + headers + "\r\n\r\nhello", 400);
    }

    @ParameterizedTest(name = "P3: Content-Length of [{0}] is refused")
    @ValueSource(strings = {"+5", "-1", "0x5", "5 0", "12345678901234567890", "", "5.0", "٥"})
    @DisplayName("P3: a Content-Length that is not plain decimal digits is refused")
    void aContentLengthThatIsNotPlainDigitsIsRefused(String value) throws Exception {
        gateway.assertRejected((POST + "Content-Length: " + value + "\r\n\r\nhello").getBytes(StandardCharsets.UTF_8),
                400);
    }

    @ParameterizedTest(name = "P4: Transfer-Encoding: {0}")
    @ValueSource(strings = {"chunked, gzip", "gzip, chunked", "xchunked", "chunked\r\nTransfer-Encoding: chunked",
            "identity", "chunked;q=1", "\"chunked\""})
    @DisplayName("P4: a Transfer-Encoding other than exactly chunked is refused (400, or 501 for a known coding)")
    void aTransferEncodingOtherThanExactlyChunkedIsRefused(String value) throws Exception {
        gateway.assertRejected(POST + "Transfer-Encoding: " + value + "\r\n\r\n0\r\n\r\n", 400, 501);
    }

    @ParameterizedTest(name = "P5: {0}")
    @MethodSource("byteBeforeColon")
    @DisplayName("P5: whitespace or a control byte between a header name and its colon is refused")
    void whitespaceOrAControlByteBeforeTheColonIsRefused(String raw) throws Exception {
        gateway.assertRejected(raw, 400);
    }

    static Stream<Arguments> byteBeforeColon() {
        return Stream.of(
                arguments(named("space", POST + "Content-Length : 5\r\n\r\nhello")),
                arguments(named("tab", POST + "Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n")),
                arguments(named("control byte 0x01", POST + "X-Foo\u0001: a\r\n\r\n")),
                arguments(named("NUL", POST + "X-Foo\u0000: a\r\n\r\n")),
                arguments(named("vertical tab", POST + "X-Foo\u000b: a\r\n\r\n")));
    }

    @Test
    @DisplayName("P6: HTTP/1.0 with Transfer-Encoding is refused")
    void http10WithTransferEncodingIsRefused() throws Exception {
        gateway.assertRejected("POST /p HTTP/1.0\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
                400);
    }

    static Stream<Arguments> malformedChunks() {
        return Stream.of(
                arguments(named("chunk line ending in a bare LF", "5\nhello\r\n0\r\n\r\n")),
                arguments(named("chunk data ending in a bare LF", "5\r\nhello\n0\r\n\r\n")),
                arguments(named("chunk-size with 0x", "0x5\r\nhello\r\n0\r\n\r\n")),
                arguments(named("negative chunk-size", "-5\r\nhello\r\n0\r\n\r\n")),
                arguments(named("chunk-size with a leading space", " 5\r\nhello\r\n0\r\n\r\n")),
                arguments(named("chunk-size that overflows", "ffffffffffffffffff\r\nhello\r\n0\r\n\r\n")),
                arguments(named("more data than declared", "5\r\nhelloEXTRA\r\n0\r\n\r\n")),
                arguments(named("P8: quoted extension with CR LF inside", "5;a=\"x\r\ny\"\r\nhello\r\n0\r\n\r\n")),
                arguments(named("P8: quoted extension with a bare LF inside", "5;a=\"x\ny\"\r\nhello\r\n0\r\n\r\n")),
                arguments(named("P8: extension with a control byte", "5;a=\u0001\r\nhello\r\n0\r\n\r\n")));
    }

    /**
     * The request head is forwarded before its body arrives (the proxy streams), so the backend may see the head.
     * What must never happen is a complete request: the proxy drops the backend request and closes that connection.
     */
    @ParameterizedTest(name = "P7: {0}")
    @MethodSource("malformedChunks")
    @DisplayName("P7: a malformed chunked body is refused with 400 and the backend never gets a complete request")
    void aMalformedChunkedBodyIsRefusedAndNeverCompletedAtTheBackend(String chunks) throws Exception {
        String target = "/chunks-" + System.nanoTime();
        int mark = gateway.mark();
        Response response;
        try (RawHttpClient client = new RawHttpClient(gateway.port()).timeout(5000)) {
            client.send("POST " + target + " HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks);
            response = client.read();
            CaseGateway.assertRefusal(response, 400);
            assertThat(response.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(client.closedByServer()).isTrue();
        }
        assertThat(gateway.accessLine(response.header("X-Request-Id"))).contains(" -> 400 ")
                .contains("error=\"malformed request body\"");
        // The head went out before the body was read (read after write), so the backend will see it.
        Await.until(Duration.ofSeconds(5), "the head at the backend", () -> gateway.backend().requests().stream()
                .anyMatch(request -> request.target().equals(target)));
        List<TestBackend.Request> seen = gateway.backend().requests();
        assertThat(seen.subList(mark, seen.size())).extracting(TestBackend.Request::target).containsOnly(target);
        for (TestBackend.Request request : seen.subList(mark, seen.size())) {
            assertThat(request.connection().waitForPeerClose(Duration.ofSeconds(5)))
                    .as("the backend connection that carried the head is closed").isTrue();
        }
        assertThat(gateway.completed()).doesNotContain(target);
    }

    /** Well-formed extensions are allowed by RFC 9112 but the gateway re-frames the body: none goes further. */
    @Test
    @DisplayName("P8: well-formed chunk extensions are accepted but never forwarded")
    void wellFormedChunkExtensionsAreNeverForwarded() throws Exception {
        try (RawBackend backend = new RawBackend(); CaseGateway direct = CaseGateway.start(recording -> GatewayYaml.loopback()
                .openRoute("/raw", "http://127.0.0.1:" + backend.port())
                .openRoute("/open", recording))) {
            Response response = direct.exchange("POST /raw HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5;name=value\r\nhello\r\n6;quoted=\"a;b\";flag\r\n world\r\n0;last=1\r\n\r\n");
            assertThat(response.status()).isEqualTo(200);
            String forwarded = backend.received().get(5, TimeUnit.SECONDS);
            String body = forwarded.substring(forwarded.indexOf("\r\n\r\n") + 4);
            assertThat(body).doesNotContain(";").doesNotContain("name").doesNotContain("quoted")
                    .doesNotContain("last");
            assertThat(dechunk(body)).isEqualTo("hello world");
        }
    }

    static Stream<Arguments> forbiddenBytes() {
        return Stream.of(
                arguments(named("bare CR in a header value", POST + "X-A: a\rb\r\nContent-Length: 0\r\n\r\n")),
                arguments(named("NUL in a header value", POST + "X-A: a\u0000b\r\n\r\n")),
                arguments(named("bare LF inside a header value", POST + "X-A: a\nb\r\n\r\n")),
                arguments(named("control byte in a header value", POST + "X-A: a\u0008b\r\n\r\n")),
                arguments(named("bare CR in the request line", "GET /a\rb HTTP/1.1\r\nHost: gw\r\n\r\n")),
                arguments(named("bare LF in the request line", "GET /a\nb HTTP/1.1\r\nHost: gw\r\n\r\n")),
                arguments(named("request line ending in a bare LF", "GET /a HTTP/1.1\nHost: gw\r\n\r\n")),
                arguments(named("header line ending in a bare LF", "GET /a HTTP/1.1\r\nHost: gw\nX-A: b\r\n\r\n")));
    }

    @ParameterizedTest(name = "P9: {0}")
    @MethodSource("forbiddenBytes")
    @DisplayName("P9: a bare CR, NUL or LF inside a header value or the request line is refused")
    void aBareCrNulOrLfInsideTheHeadIsRefused(String raw) throws Exception {
        gateway.assertRejected(raw, 400);
    }

    /** Netty passes a NUL inside the target on; the target check refuses it like any other ambiguous request. */
    @Test
    @DisplayName("P9: a NUL in the request target is refused with 400 and nothing forwarded")
    void aNulInTheRequestTargetIsRefused() throws Exception {
        Response response = gateway.assertRejected("GET /a\u0000b HTTP/1.1\r\nHost: gw\r\n\r\n", 400);
        assertThat(response.bodyText()).isEqualTo("{\"error\":\"invalid character in request target\"}");
    }

    static Stream<Arguments> malformedHeaderLines() {
        return Stream.of(
                arguments(named("header line without a colon", POST + "X-A value\r\n\r\n")),
                arguments(named("header line with an empty name", POST + ": value\r\n\r\n")),
                arguments(named("bytes before the request line", "xx\r\nGET /a HTTP/1.1\r\nHost: gw\r\n\r\n")),
                arguments(named("a second request line glued before", "GET /a\r\nGET /b HTTP/1.1\r\nHost: gw\r\n\r\n")));
    }

    @ParameterizedTest(name = "P10: {0}")
    @MethodSource("malformedHeaderLines")
    @DisplayName("P10: a header line without a colon, or bytes before the request line, is refused")
    void aHeaderLineWithoutAColonOrBytesBeforeTheRequestLineAreRefused(String raw) throws Exception {
        gateway.assertRejected(raw, 400);
    }

    /**
     * Netty's decoder has no option to refuse obs-fold: it joins the continuation to the previous value with a space,
     * which RFC 9112 §5.2 allows a proxy to do instead of refusing. The gateway writes its own header block, so the
     * backend gets one line without CR or LF, and the continuation can never become a header of its own.
     */
    @Test
    @DisplayName("P10: an obs-fold continuation is replaced by a space, never forwarded as a line of its own")
    void anObsFoldContinuationIsReplacedByASpace() throws Exception {
        int mark = gateway.mark();
        Response response = gateway.exchange("GET /fold HTTP/1.1\r\nHost: gw\r\nX-A: a\r\n X-Injected: b\r\n"
                + "\tc\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        List<TestBackend.Request> requests = gateway.backend().requests();
        TestBackend.Request forwarded = requests.get(mark);
        assertThat(forwarded.headers("X-A")).containsExactly("a X-Injected: b c");
        assertThat(forwarded.header("X-Injected")).isNull();
    }

    /** Leading empty lines before a request line are ignored, as RFC 9112 §2.2 says a server should. */
    @Test
    @DisplayName("P10: empty lines before the request line are ignored, as RFC 9112 §2.2 allows")
    void emptyLinesBeforeTheRequestLineAreIgnored() throws Exception {
        Response response = gateway.exchange("\r\n\r\nGET /after-empty-lines HTTP/1.1\r\nHost: gw\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo("GET /after-empty-lines");
    }

    @ParameterizedTest(name = "P11: {0}")
    @MethodSource("malformedRequestLines")
    @DisplayName("P11: a malformed HTTP version is refused with 400")
    void aMalformedHttpVersionIsRefused(String raw) throws Exception {
        gateway.assertRejected(raw, 400);
    }

    static Stream<Arguments> malformedRequestLines() {
        return Stream.of(
                arguments(named("HTTP/1.01", "GET /a HTTP/1.01\r\nHost: gw\r\n\r\n")),
                arguments(named("HTTP/1", "GET /a HTTP/1\r\nHost: gw\r\n\r\n")),
                arguments(named("HTTP/", "GET /a HTTP/\r\nHost: gw\r\n\r\n")),
                arguments(named("no version", "GET /a\r\nHost: gw\r\n\r\n")),
                arguments(named("four words", "GET /a HTTP/1.1 extra\r\nHost: gw\r\n\r\n")),
                arguments(named("HTTP/1.1.1", "GET /a HTTP/1.1.1\r\nHost: gw\r\n\r\n")),
                arguments(named("space after the version", "GET /a HTTP/1.1 \r\nHost: gw\r\n\r\n")));
    }

    @ParameterizedTest(name = "P11: {0} is answered 505")
    @ValueSource(strings = {"HTTP/2.0", "HTTP/1.2", "HTTP/3.0", "HTTP/0.9"})
    @DisplayName("P11: a well-formed but unsupported HTTP version is answered 505")
    void aWellFormedUnsupportedVersionIsAnswered505(String version) throws Exception {
        gateway.assertRejected("GET /a " + version + "\r\nHost: gw\r\n\r\n", 505);
    }

    /**
     * Netty's decoder splits the request line on any run of whitespace (RFC 9112 §3 lets a recipient do so) and has
     * no option to refuse it. The gateway writes its own request line to the backend, with single spaces, so the
     * backend never sees the odd separator: asserted on the line the backend received.
     */
    @ParameterizedTest(name = "P11: {0}")
    @ValueSource(strings = {"GET\t/tab HTTP/1.1", "GET  /double-space HTTP/1.1", "GET /tab-and-space \tHTTP/1.1"})
    @DisplayName("P11: a tab or a double space between request-line parts reaches the backend as one clean line")
    void oddRequestLineWhitespaceReachesTheBackendAsACleanLine(String line) throws Exception {
        int mark = gateway.mark();
        Response response = gateway.exchange(line + "\r\nHost: gw\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        TestBackend.Request forwarded = gateway.backend().requests().get(mark);
        assertThat(forwarded.method()).isEqualTo("GET");
        assertThat(forwarded.target()).isEqualTo(line.trim().split("\\s+")[1]);
        assertThat(forwarded.version()).isEqualTo("HTTP/1.1");
    }

    @ParameterizedTest(name = "P12: {0}")
    @MethodSource("badHosts")
    @DisplayName("P12: a missing, repeated or invalid Host is refused")
    void aMissingRepeatedOrInvalidHostIsRefused(String raw) throws Exception {
        gateway.assertRejected(raw, 400);
    }

    static Stream<Arguments> badHosts() {
        return Stream.of(
                arguments(named("missing Host", "GET /a HTTP/1.1\r\n\r\n")),
                arguments(named("two Host lines", "GET /a HTTP/1.1\r\nHost: gw\r\nHost: gw\r\n\r\n")),
                arguments(named("two different Host lines", "GET /a HTTP/1.1\r\nHost: gw\r\nHost: evil\r\n\r\n")),
                arguments(named("Host: a, b", "GET /a HTTP/1.1\r\nHost: a, b\r\n\r\n")),
                arguments(named("Host: u@a", "GET /a HTTP/1.1\r\nHost: u@a\r\n\r\n")),
                arguments(named("empty Host", "GET /a HTTP/1.1\r\nHost: \r\n\r\n")),
                arguments(named("Host with a path", "GET /a HTTP/1.1\r\nHost: a/b\r\n\r\n")));
    }

    @Test
    @DisplayName("P13: a valid request and an invalid one in the same packet: first answered, then refused, in order")
    void aValidRequestThenAnInvalidOneAreAnsweredInOrder() throws Exception {
        int mark = gateway.mark();
        Response first;
        Response second;
        try (RawHttpClient client = new RawHttpClient(gateway.port()).timeout(5000)) {
            client.send("GET /first HTTP/1.1\r\nHost: gw\r\n\r\n"
                    + "POST /second HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "0\r\n\r\nGET /third HTTP/1.1\r\nHost: gw\r\n\r\n");
            first = client.read();
            second = client.read();
            assertThat(client.closedByServer()).as("closed after the refusal, no third response").isTrue();
        }
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.bodyText()).isEqualTo("GET /first");
        CaseGateway.assertRefusal(second, 400);
        assertThat(second.header("Connection")).isEqualToIgnoringCase("close");
        assertThat(gateway.accessLine(second.header("X-Request-Id"))).contains(" -> 400 ").contains("error=\"");
        List<TestBackend.Request> requests = gateway.backend().requests();
        assertThat(requests.subList(mark, requests.size())).extracting(TestBackend.Request::target)
                .containsExactly("/first");
    }

    @Test
    @DisplayName("P14: Expect 100-continue answered early by the backend: its status reaches the client, "
            + "that backend connection is closed, not pooled")
    void anEarlyBackendAnswerToExpectContinueReachesTheClientAndItsConnectionIsNotPooled() throws Exception {
        int mark = gateway.mark();
        try (RawHttpClient client = new RawHttpClient(gateway.port()).timeout(5000)) {
            client.send("PUT /upload/answer-early HTTP/1.1\r\nHost: gw\r\nExpect: 100-continue\r\n"
                    + "Content-Length: 10\r\n\r\n");
            Response early = client.read();
            assertThat(early.status()).isEqualTo(417);
            assertThat(early.bodyText()).isEqualTo("early");
            assertThat(early.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(client.closedByServer()).isTrue();
        }
        TestBackend.Request answered = gateway.backend().requests().get(mark);
        assertThat(answered.target()).isEqualTo("/upload/answer-early");
        assertThat(answered.connection().waitForPeerClose(Duration.ofSeconds(5)))
                .as("the backend connection that answered early is closed").isTrue();
        Response next = gateway.exchange("GET /after-early HTTP/1.1\r\nHost: gw\r\n\r\n");
        assertThat(next.status()).isEqualTo(200);
        TestBackend.Request after = gateway.backend().requests().get(mark + 1);
        assertThat(after.target()).isEqualTo("/after-early");
        assertThat(after.connection()).as("not the early-answering connection, which was not pooled")
                .isNotSameAs(answered.connection());
        List<TestBackend.Request> onThatConnection = answered.connection().requests();
        assertThat(onThatConnection.get(onThatConnection.size() - 1)).as("nothing after it on that connection")
                .isSameAs(answered);
    }

    @Test
    @DisplayName("P15: CONNECT is refused with 405")
    void connectIsRefusedWith405() throws Exception {
        gateway.assertRejected("CONNECT backend.internal:443 HTTP/1.1\r\nHost: backend.internal:443\r\n\r\n", 405);
    }

    @Test
    @DisplayName("P15: Upgrade: h2c is refused with 400")
    void anH2cUpgradeIsRefused() throws Exception {
        gateway.assertRejected("GET /a HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
                + "HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n", 400);
    }

    @ParameterizedTest(name = "P15: {0}")
    @ValueSource(strings = {"http://evil.example/a", "http://gw/a", "https://evil.example:8443/a",
            "evil.example:80", "*"})
    @DisplayName("P15: an absolute-form, authority-form or asterisk target is refused with 400")
    void aTargetThatIsNotAPathIsRefused(String target) throws Exception {
        Response response = gateway.assertRejected("GET " + target + " HTTP/1.1\r\nHost: gw\r\n\r\n", 400);
        assertThat(response.bodyText()).isEqualTo("{\"error\":\"request target must be a path\"}");
    }

    private static String dechunk(String chunked) {
        StringBuilder out = new StringBuilder();
        int at = 0;
        while (true) {
            int eol = chunked.indexOf("\r\n", at);
            int size = Integer.parseInt(chunked.substring(at, eol), 16);
            if (size == 0) {
                return out.toString();
            }
            out.append(chunked, eol + 2, eol + 2 + size);
            at = eol + 2 + size + 2;
        }
    }

    /** Accepts one connection, keeps every byte of one chunked request exactly as received, answers 200. */
    private static final class RawBackend implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
        private final CompletableFuture<String> received = CompletableFuture.supplyAsync(this::serveOne);

        RawBackend() throws java.io.IOException {
        }

        int port() {
            return server.getLocalPort();
        }

        CompletableFuture<String> received() {
            return received;
        }

        private String serveOne() {
            try (Socket socket = server.accept()) {
                socket.setSoTimeout(5000);
                InputStream in = socket.getInputStream();
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                while (!bytes.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n0\r\n\r\n")) {
                    int b = in.read();
                    if (b < 0) {
                        break;
                    }
                    bytes.write(b);
                }
                OutputStream out = socket.getOutputStream();
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                return bytes.toString(StandardCharsets.ISO_8859_1);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() throws java.io.IOException {
            server.close();
        }
    }
}
