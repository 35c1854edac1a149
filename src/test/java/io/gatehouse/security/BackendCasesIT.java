package io.gatehouse.security;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import io.gatehouse.config.BackendConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SECURITY-CASES.md rows B1–B6: a backend that fails every way a network can. One event loop, so that every client
 * connection shares one pool and a wrongly pooled backend connection would be handed out again.
 */
class BackendCasesIT {

    private static final String BLOCK = "x".repeat(100);

    private TestBackend backend;
    private GatewayFixture gateway;

    /** The gateway on one event loop, one open route to a backend; {@code routeLines} are the route's settings. */
    private void start(TestBackend.Responder responder, String... routeLines) {
        start(responder, GatewayYaml.loopback(), routeLines);
    }

    private void startWithPoolIdleTimeout(TestBackend.Responder responder, String timeout) {
        start(responder, GatewayYaml.loopback().block("""
                backend:
                  pool_idle_timeout: %s
                """.formatted(timeout)));
    }

    private void start(TestBackend.Responder responder, GatewayYaml yaml, String... routeLines) {
        gateway = GatewayFixture.withBackend(responder)
                .start(url -> yaml.server("io_threads: 1").openRoute("/", url, routeLines));
        backend = gateway.backend();
    }

    @AfterEach
    void stop() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private TestBackend.Connection connectionOf(int requestIndex) {
        return backend.requests().get(requestIndex).connection();
    }

    @Test
    @DisplayName("B1: a refused backend connection is answered 502 at once, and the client connection stays usable")
    void aRefusedConnectionIsAnswered502AtOnce() throws Exception {
        try (GatewayFixture refused = GatewayFixture.withBackends()
                .start(GatewayYaml.loopback().openRoute("/", TestBackend.closedUrl()));
             RawHttpClient client = refused.client()) {
            for (int i = 0; i < 2; i++) {
                long start = System.nanoTime();
                client.send("GET /x HTTP/1.1\r\nHost: gw\r\n\r\n");
                Response response = client.read();
                assertThat(response.status()).isEqualTo(502);
                assertThat(response.bodyText()).isEqualTo("{\"error\":\"Service unavailable\"}");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
            }
        }
    }

    /**
     * A listening socket whose accept queue is full drops further SYNs, so a connect to it hangs as one to an
     * unroutable address does, without depending on the network (10.255.255.1 is answered by a proxy in some
     * sandboxes).
     */
    @Test
    @DisplayName("B1: a backend that never completes the TCP handshake is answered 504 at backend.connect_timeout")
    void aBackendThatNeverCompletesTheHandshakeIsAnswered504AtTheConnectTimeout() throws Exception {
        List<SocketChannel> fillers = new ArrayList<>();
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            for (int i = 0; i < 8; i++) {
                SocketChannel filler = SocketChannel.open();
                filler.configureBlocking(false);
                filler.connect(full.getLocalSocketAddress());
                fillers.add(filler);
            }
            try (GatewayFixture unreachable = GatewayFixture.withBackends().start(GatewayYaml.loopback()
                    .block("""
                            backend:
                              connect_timeout: 300ms
                            """)
                    .openRoute("/", "http://127.0.0.1:" + full.getLocalPort()));
                 RawHttpClient client = unreachable.client()) {
                long start = System.nanoTime();
                client.send("GET /x HTTP/1.1\r\nHost: gw\r\n\r\n");
                Response response = client.read();
                Duration took = Duration.ofNanos(System.nanoTime() - start);
                assertThat(response.status()).isEqualTo(504);
                assertThat(response.bodyText()).isEqualTo("{\"error\":\"Upstream timeout\"}");
                assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(250)).isLessThan(Duration.ofSeconds(3));
            }
        } finally {
            for (SocketChannel filler : fillers) {
                filler.close();
            }
        }
    }

    @Test
    @DisplayName("B2: a backend that never answers gets 504 at the route timeout; its connection is closed, not pooled")
    void aSilentBackendIsAnswered504AndItsConnectionIsClosed() throws Exception {
        start((request, connection) -> {
            if (request.index() == 0) {
                connection.awaitPeerClose(Duration.ofSeconds(20));
            } else {
                connection.respond(200, "answered");
            }
        }, "timeout: 300ms");
        long start = System.nanoTime();
        Response response = gateway.get("/silent");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(response.status()).isEqualTo(504);
        assertThat(response.bodyText()).isEqualTo("{\"error\":\"Upstream timeout\"}");
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(300)).isLessThan(Duration.ofSeconds(3));
        assertThat(connectionOf(0).waitForPeerClose(Duration.ofSeconds(5))).as("silent connection closed").isTrue();

        assertThat(gateway.get("/next").bodyText()).isEqualTo("answered");
        assertThat(backend.connectionsAccepted()).as("the next request on a fresh connection").isEqualTo(2);
    }

    @Test
    @DisplayName("B3: a reset after the response head aborts the client connection without a clean end of message")
    void aResetAfterTheHeadAbortsTheClientConnection() throws Exception {
        CountDownLatch headSeen = new CountDownLatch(1);
        start((request, connection) -> {
            if (request.target().equals("/reset")) {
                connection.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + BLOCK);
                headSeen.await(10, TimeUnit.SECONDS);
                connection.reset();
            } else {
                connection.respond(200, "fine");
            }
        });
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /reset HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response head = client.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo("1000");
            headSeen.countDown();
            assertThat(client.readToEnd().length).as("body bytes before the abort").isLessThan(1000);
        }
        assertThat(gateway.get("/after").bodyText()).isEqualTo("fine");
        assertThat(backend.connectionsAccepted()).as("the reset connection was not pooled").isEqualTo(2);
    }

    @Test
    @DisplayName("B3: a body shorter than its Content-Length aborts the client connection; the backend connection is not pooled")
    void aBodyShorterThanItsContentLengthAbortsTheClientConnection() throws Exception {
        start((request, connection) -> {
            if (request.target().equals("/short")) {
                connection.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + BLOCK);
                connection.close();
            } else {
                connection.respond(200, "fine");
            }
        });
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /short HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response head = client.readHead();
            assertThat(head.header("Content-Length")).isEqualTo("1000");
            assertThat(client.readToEnd().length).isEqualTo(BLOCK.length());
        }
        assertThat(gateway.get("/after").bodyText()).isEqualTo("fine");
        assertThat(backend.connectionsAccepted()).isEqualTo(2);
    }

    /** Every backend connection answers its first request and closes, unanswering, on its second. */
    private void startWithConnectionsThatDieOnTheirSecondRequest() {
        start((request, connection) -> {
            if (connection.requests().size() > 1) {
                connection.close();
            } else {
                request.body();
                connection.respond(200, "served by " + connection.index());
            }
        });
    }

    @Test
    @DisplayName("B4: a GET on a pooled connection that the backend closes under it is retried once on a fresh connection")
    void anIdempotentRequestOnADyingPooledConnectionIsRetriedOnce() throws Exception {
        startWithConnectionsThatDieOnTheirSecondRequest();
        assertThat(gateway.get("/first").bodyText()).isEqualTo("served by 0");
        Response retried = gateway.get("/second");
        assertThat(retried.status()).isEqualTo(200);
        assertThat(retried.bodyText()).isEqualTo("served by 1");
        assertThat(backend.requests()).extracting(TestBackend.Request::target)
                .containsExactly("/first", "/second", "/second");
    }

    @Test
    @DisplayName("B4: a POST with a body on a pooled connection that the backend closes under it is not retried: 502")
    void aNonIdempotentRequestOnADyingPooledConnectionIsAnswered502() throws Exception {
        startWithConnectionsThatDieOnTheirSecondRequest();
        assertThat(gateway.get("/first").bodyText()).isEqualTo("served by 0");
        try (RawHttpClient client = gateway.client()) {
            client.send("POST /order HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello");
            Response response = client.read();
            assertThat(response.status()).isEqualTo(502);
            assertThat(response.bodyText()).isEqualTo("{\"error\":\"Service unavailable\"}");
        }
        assertThat(backend.requests()).extracting(TestBackend.Request::target).containsExactly("/first", "/order");
    }

    @Test
    @DisplayName("B4: an idle pooled connection is closed by the gateway at backend.pool_idle_timeout (default 30 s, below common 60 s keep-alives)")
    void anIdlePooledConnectionIsClosedAtThePoolIdleTimeout() throws Exception {
        assertThat(BackendConfig.DEFAULT_POOL_IDLE_TIMEOUT).isLessThan(Duration.ofSeconds(60));
        startWithPoolIdleTimeout(TestBackend.ok("pooled"), "300ms");
        assertThat(gateway.get("/one").bodyText()).isEqualTo("pooled");
        long start = System.nanoTime();
        assertThat(connectionOf(0).waitForPeerClose(Duration.ofSeconds(5))).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(gateway.get("/two").bodyText()).isEqualTo("pooled");
        assertThat(backend.connectionsAccepted()).isEqualTo(2);
    }

    @Test
    @DisplayName("B4: the pool's idle timeout never closes a connection while a slow response is in progress on it")
    void thePoolIdleTimeoutLeavesAConnectionInUseAlone() throws Exception {
        startWithPoolIdleTimeout((request, connection) -> {
            if (request.target().equals("/slow")) {
                // A slow backend: silent for several pool idle timeouts, well inside the route's timeout.
                Thread.sleep(1_000);
            }
            connection.respond(200, "answered " + request.target());
        }, "200ms");
        // The first exchange puts a connection in the pool, which starts the pool's sweep.
        assertThat(gateway.get("/warm").bodyText()).isEqualTo("answered /warm");

        assertThat(gateway.get("/slow").bodyText()).isEqualTo("answered /slow");
    }

    @ParameterizedTest(name = "B5: {0}")
    @DisplayName("B5: a malformed or ambiguous backend response is answered 502 and its connection discarded")
    @ValueSource(strings = {
            "content-length-and-chunked",
            "chunked-and-content-length",
            "gzip-coding",
            "chunked-gzip-coding",
            "two-content-lengths",
            "content-length-list",
            "bad-content-length",
            "huge-head",
            "invalid-status",
            "status-out-of-range",
            "not-http",
    })
    void aMalformedResponseIsAnswered502AndItsConnectionDiscarded(String fault) throws Exception {
        start((request, connection) -> {
            if (!request.target().equals("/" + fault)) {
                connection.respond(200, "fine");
                return;
            }
            connection.write(switch (fault) {
                case "content-length-and-chunked" ->
                        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
                case "chunked-and-content-length" ->
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
                case "gzip-coding" -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nhello";
                case "chunked-gzip-coding" ->
                        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
                case "two-content-lengths" -> "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!";
                case "content-length-list" -> "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello";
                case "bad-content-length" -> "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello";
                case "huge-head" -> "HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(80 * 1024)
                        + "\r\nContent-Length: 5\r\n\r\nhello";
                case "invalid-status" -> "HTTP/1.1 2x0 OK\r\nContent-Length: 5\r\n\r\nhello";
                case "status-out-of-range" -> "HTTP/1.1 1000 OK\r\nContent-Length: 5\r\n\r\nhello";
                case "not-http" -> "SSH-2.0-OpenSSH_9.6\r\n\r\n";
                default -> throw new IllegalArgumentException(fault);
            });
        });
        Response response = gateway.get("/" + fault);
        assertThat(response.status()).isEqualTo(502);
        assertThat(response.bodyText()).isEqualTo("{\"error\":\"Bad gateway\"}");
        assertThat(connectionOf(0).waitForPeerClose(Duration.ofSeconds(5))).as("connection discarded").isTrue();
        assertThat(gateway.get("/after").bodyText()).isEqualTo("fine");
        assertThat(backend.connectionsAccepted()).isEqualTo(2);
    }

    @Test
    @DisplayName("B6: a HEAD answered with a Content-Length is relayed without a body and both connections stay in step")
    void aHeadResponseWithAContentLengthIsFramedWithoutABody() throws Exception {
        start((request, connection) -> {
            if (request.method().equals("HEAD")) {
                connection.write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
            } else {
                connection.respond(200, "after");
            }
        });
        try (RawHttpClient client = gateway.client()) {
            client.send("HEAD /h HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response head = client.read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo("5");
            client.send("GET /after HTTP/1.1\r\nHost: gw\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("after");
        }
        assertThat(backend.connectionsAccepted()).as("the clean HEAD exchange was pooled").isEqualTo(1);
    }

    @Test
    @DisplayName("B6: a 204 followed by stray bytes is relayed without them, and that backend connection is discarded")
    void a204WithStrayBytesIsRelayedCleanAndItsConnectionDiscarded() throws Exception {
        start((request, connection) -> {
            if (request.target().equals("/nocontent")) {
                connection.write("HTTP/1.1 204 No Content\r\n\r\nstray bytes");
            } else {
                connection.respond(200, "after");
            }
        });
        try (RawHttpClient client = gateway.client()) {
            client.send("DELETE /nocontent HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response response = client.read();
            assertThat(response.status()).isEqualTo(204);
            assertThat(response.header("Content-Length")).isNull();
            assertThat(response.header("Transfer-Encoding")).isNull();
            assertThat(connectionOf(0).waitForPeerClose(Duration.ofSeconds(5))).as("connection discarded").isTrue();
            client.send("GET /after HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response after = client.read();
            assertThat(after.status()).isEqualTo(200);
            assertThat(after.bodyText()).isEqualTo("after");
        }
        assertThat(backend.connectionsAccepted()).isEqualTo(2);
    }

    @Test
    @DisplayName("B6: 1xx responses before the final one leave the final response intact and the connections in step")
    void interimResponsesBeforeTheFinalOneAreFramedCorrectly() throws Exception {
        start((request, connection) -> {
            if (request.target().equals("/hints")) {
                connection.write("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                        + "HTTP/1.1 102 Processing\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal");
            } else {
                connection.respond(200, "after");
            }
        });
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /hints HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response response = client.read();
            while (response.status() < 200) {
                response = client.read();
            }
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("final");
            client.send("GET /after HTTP/1.1\r\nHost: gw\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("after");
        }
        assertThat(backend.connectionsAccepted()).isEqualTo(1);
    }
}
