package io.gatehouse.proxy;

import io.gatehouse.testing.Await;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The gateway's own answers (health, 502, 504) and what happens when a backend fails in the middle of a response:
 * the client must see the response cut short, never a clean end, and the next request must still work.
 */
class BackendFaultsIT {

    private static final String CUT = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

    /** Released by a test once its client has seen the response head, so the backend fails mid-body. */
    private static volatile CountDownLatch headSeen = new CountDownLatch(1);

    private static TestBackend silentOnce;
    private static TestBackend faulty;
    private static TestBackend hanging;
    private static GatewayFixture gateway;

    @BeforeAll
    static void start() {
        silentOnce = TestBackend.start((request, connection) -> {
            if (request.index() == 0) {
                connection.awaitPeerClose(Duration.ofSeconds(20));
            } else {
                connection.respond(200, "answered");
            }
        });
        faulty = TestBackend.start((request, connection) -> {
            switch (request.target()) {
                case "/faulty/reset-after-head" -> {
                    connection.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + CUT);
                    headSeen.await(10, TimeUnit.SECONDS);
                    connection.reset();
                }
                case "/faulty/close-inside-chunks" -> {
                    connection.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
                    headSeen.await(10, TimeUnit.SECONDS);
                    connection.close();
                }
                case "/faulty/close-before-head" -> connection.close();
                default -> connection.respond(200, "fine");
            }
        });
        hanging = TestBackend.start((request, connection) -> connection.awaitPeerClose(Duration.ofSeconds(20)));
        gateway = GatewayFixture.withBackends(silentOnce, faulty, hanging).start(GatewayYaml.loopback()
                .server("io_threads: 1")
                .openRoute("/refused", TestBackend.closedUrl())
                .openRoute("/silent", silentOnce.url(), "timeout: 300ms")
                .openRoute("/faulty", faulty.url())
                .openRoute("/hanging", hanging.url()));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static void assertJson(Response response, int status, String body) {
        assertThat(response.status()).isEqualTo(status);
        assertThat(response.header("Content-Type")).isEqualTo("application/json");
        assertThat(response.header("Content-Length")).isEqualTo(Integer.toString(body.length()));
        assertThat(response.bodyText()).isEqualTo(body);
    }

    @Test
    void healthIsAnsweredWithoutAKeyAndListsTheRoutes() throws Exception {
        assertJson(gateway.get("/health"), 200,
                "{\"status\":\"ok\",\"routes\":[\"/refused\",\"/silent\",\"/faulty\",\"/hanging\"]}");
    }

    @Test
    void aRefusedConnectionIsAnswered502() throws Exception {
        long start = System.nanoTime();
        assertJson(gateway.get("/refused/x"), 502, "{\"error\":\"Service unavailable\"}");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void aBackendThatClosesBeforeAnsweringIsAnswered502() throws Exception {
        assertJson(gateway.get("/faulty/close-before-head"), 502, "{\"error\":\"Service unavailable\"}");
    }

    @Test
    void aBackendThatNeverAnswersIsAnswered504AtTheRouteTimeoutAndItsConnectionIsClosed() throws Exception {
        long start = System.nanoTime();
        assertJson(gateway.get("/silent/x"), 504, "{\"error\":\"Upstream timeout\"}");
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(300)).isLessThan(Duration.ofSeconds(5));
        assertThat(silentOnce.connections().get(0).waitForPeerClose(Duration.ofSeconds(5))).isTrue();

        Response next = gateway.get("/silent/y");
        assertThat(next.status()).isEqualTo(200);
        assertThat(next.bodyText()).isEqualTo("answered");
        assertThat(silentOnce.connectionsAccepted()).isEqualTo(2);
    }

    @Test
    void aResetAfterTheHeadAbortsTheClientConnectionInsteadOfEndingTheBody() throws Exception {
        headSeen = new CountDownLatch(1);
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /faulty/reset-after-head HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response head = client.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo("1000");
            headSeen.countDown();
            byte[] rest = client.readToEnd();
            assertThat(rest.length).isLessThan(1000);
        }
        assertThat(gateway.get("/faulty/ok").bodyText()).isEqualTo("fine");
    }

    @Test
    void aCloseInsideAChunkedBodyAbortsTheClientConnectionWithoutTheLastChunk() throws Exception {
        headSeen = new CountDownLatch(1);
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /faulty/close-inside-chunks HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response head = client.readHead();
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Transfer-Encoding")).isEqualTo("chunked");
            headSeen.countDown();
            String rest = new String(client.readToEnd(), StandardCharsets.ISO_8859_1);
            assertThat(rest).doesNotContain("0\r\n\r\n");
        }
        assertThat(gateway.get("/faulty/ok").bodyText()).isEqualTo("fine");
    }

    /**
     * Native transports only (io_uring, epoll): with autoRead off and no read pending while a response is awaited,
     * the NIO transport does not see the client's close until it writes, so the backend request runs on until its
     * response or the route timeout.
     */
    @Test
    void aClientThatGoesAwayWhileWaitingHasItsBackendConnectionClosed() throws Exception {
        assumeTrue(!gateway.gateway().server().transportName().equals("nio"), "needs a native transport");
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /hanging/x HTTP/1.1\r\nHost: gw\r\n\r\n");
            Await.until(Duration.ofSeconds(5), "the request at the backend",
                    () -> hanging.requests().size() == 1);
        }
        assertThat(hanging.connections().get(0).waitForPeerClose(Duration.ofSeconds(5))).isTrue();
    }
}
