package io.gatehouse.security;

import io.gatehouse.testing.Await;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SECURITY-CASES.md rows S1–S6: clients that are slow, greedy or vanish. Each test starts a gateway with one limit
 * tightened to a few hundred milliseconds, so that a deadline is seen without waiting for its default.
 */
class SlowClientCasesIT {

    private static final long HUNDRED_MB = 100L * 1024 * 1024;

    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicLong backendSent = new AtomicLong();
    private TestBackend backend;
    private GatewayFixture gateway;

    /** A backend that answers {@code /big} with 100 MB (counting what its socket took) and anything else "ok". */
    private void start(String... serverLines) {
        gateway = GatewayFixture.withBackend((request, connection) -> {
            switch (request.target()) {
                case "/big" -> {
                    connection.write("HTTP/1.1 200 OK\r\nContent-Length: " + HUNDRED_MB + "\r\n\r\n");
                    byte[] block = new byte[64 * 1024];
                    for (long sent = 0; sent < HUNDRED_MB; sent += block.length) {
                        connection.write(block);
                        backendSent.addAndGet(block.length);
                    }
                }
                case "/upload" -> {
                    request.body();
                    connection.respond(200, "uploaded");
                }
                default -> {
                    request.body();
                    connection.respond(200, request.target());
                }
            }
        }).start(url -> GatewayYaml.loopback().server(serverLines).openRoute("/", url, "timeout: 5s"));
        backend = gateway.backend();
    }

    @AfterEach
    void stop() {
        release.countDown();
        if (gateway != null) {
            gateway.close();
        }
    }

    private Response get(String target) throws IOException {
        try (RawHttpClient client = gateway.client()) {
            client.send("GET " + target + " HTTP/1.1\r\nHost: gw\r\n\r\n");
            return client.read();
        }
    }

    /** Sends {@code bytes} one at a time, {@code pauseMillis} apart, on a daemon thread, until the socket fails. */
    private static Thread drip(RawHttpClient client, String bytes, long pauseMillis) {
        Thread dripper = new Thread(() -> {
            try {
                for (byte b : bytes.getBytes(StandardCharsets.ISO_8859_1)) {
                    client.send(new byte[]{b});
                    Thread.sleep(pauseMillis);
                }
            } catch (IOException | InterruptedException expected) {
                // the gateway closed the connection
            }
        }, "dripper");
        dripper.setDaemon(true);
        dripper.start();
        return dripper;
    }

    @Test
    @DisplayName("S1: a head sent one byte at a time gets 408 and a close at server.header_timeout; other clients are served meanwhile")
    void aSlowlorisHeadGets408AtTheHeaderDeadline() throws Exception {
        start("header_timeout: 400ms");
        try (RawHttpClient slow = gateway.client()) {
            long start = System.nanoTime();
            Thread dripper = drip(slow, "GET /slow HTTP/1.1\r\nHost: gw\r\nX-Padding: " + "a".repeat(200) + "\r\n\r\n",
                    50);
            // While the slow head trickles in, a normal client is served at once.
            Response other = get("/other");
            assertThat(other.status()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(400));

            Response response = slow.read();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(response.status()).isEqualTo(408);
            assertThat(response.bodyText()).isEqualTo("{\"error\":\"Request header timeout\"}");
            assertThat(response.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(350)).isLessThan(Duration.ofSeconds(3));
            assertThat(slow.closedByServer()).isTrue();
            dripper.interrupt();
        }
        assertThat(backend.requests()).extracting(TestBackend.Request::target).containsExactly("/other");
    }

    @Test
    @DisplayName("S2: a body that stalls gets 408 and a close at server.body_timeout, and the backend request is aborted")
    void aStalledBodyGets408AndTheBackendRequestIsAborted() throws Exception {
        start("body_timeout: 400ms");
        try (RawHttpClient client = gateway.client()) {
            client.send("POST /upload HTTP/1.1\r\nHost: gw\r\nContent-Length: 100\r\n\r\n0123456789");
            Await.until(Duration.ofSeconds(5), "the request at the backend", () -> backend.requests().size() == 1);
            long start = System.nanoTime();
            Response response = client.read();
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(response.status()).isEqualTo(408);
            assertThat(response.bodyText()).isEqualTo("{\"error\":\"Request body timeout\"}");
            assertThat(response.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(response.header("X-Request-Id")).isNotBlank();
            assertThat(took).isLessThan(Duration.ofSeconds(3));
            assertThat(client.closedByServer()).isTrue();
        }
        assertThat(backend.requests().get(0).connection().waitForPeerClose(Duration.ofSeconds(5)))
                .as("backend request aborted").isTrue();
    }

    @Test
    @DisplayName("S2: a body sent one byte per interval shorter than server.body_timeout is not cut off")
    void aSlowButSteadyBodyIsNotCutOff() throws Exception {
        start("body_timeout: 400ms");
        try (RawHttpClient client = gateway.client()) {
            client.send("POST /upload HTTP/1.1\r\nHost: gw\r\nContent-Length: 8\r\n\r\n");
            for (int i = 0; i < 8; i++) {
                Thread.sleep(100);
                client.send("x");
            }
            Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("uploaded");
        }
    }

    /**
     * The 100 MB download is not timed at 1 KB/s: flat memory is shown by its cause. With the client reading
     * nothing, the backend's writes must stop — its socket blocked because the gateway stopped reading it — after a
     * few socket buffers' worth, far below 100 MB, and stay stopped.
     */
    @Test
    @DisplayName("S3: a client that stops reading a 100 MB response pauses the backend read: the backend's writes stall far below 100 MB")
    void aClientThatStopsReadingPausesTheBackend() throws Exception {
        start("write_timeout: 30s");
        try (RawHttpClient client = gateway.client(16 * 1024)) {
            client.send("GET /big HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response head = client.readHead();
            assertThat(head.header("Content-Length")).isEqualTo(Long.toString(HUNDRED_MB));
            long stalledAt = Await.stall(backendSent, Duration.ofSeconds(10), "bytes the backend wrote");
            assertThat(stalledAt).as("bytes the backend got rid of").isLessThan(16L * 1024 * 1024);

            // Reading a little lets a little more through: the backend follows the client's pace.
            byte[] buffer = new byte[64 * 1024];
            long read = 0;
            while (read < 4L * 1024 * 1024) {
                read += client.input().read(buffer);
            }
            long afterRead = Await.stall(backendSent, Duration.ofSeconds(10), "bytes the backend wrote");
            assertThat(afterRead).isGreaterThan(stalledAt).isLessThan(stalledAt + read + 16L * 1024 * 1024);
        }
        // The client left mid-download: the backend's connection is closed too.
        assertThat(backend.requests().get(0).connection().waitForPeerClose(Duration.ofSeconds(5))).isTrue();
    }


    @Test
    @DisplayName("S3: a client that reads nothing while a response waits is disconnected at server.write_timeout, and the backend with it")
    void aClientThatReadsNothingIsDisconnectedAtTheWriteTimeout() throws Exception {
        start("write_timeout: 500ms");
        try (RawHttpClient client = gateway.client(16 * 1024)) {
            client.send("GET /big HTTP/1.1\r\nHost: gw\r\n\r\n");
            client.readHead();
            assertThat(backend.requests().get(0).connection().waitForPeerClose(Duration.ofSeconds(10)))
                    .as("backend connection closed").isTrue();
            client.timeout(10_000);
            byte[] rest = client.readToEnd();
            assertThat((long) rest.length).isLessThan(HUNDRED_MB);
        }
    }

    @Test
    @DisplayName("S4: 300 idle keep-alive connections are all closed at server.idle_timeout")
    void idleKeepAliveConnectionsAreClosedAtTheIdleTimeout() throws Exception {
        start("idle_timeout: 500ms");
        List<RawHttpClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) {
                RawHttpClient client = gateway.client();
                clients.add(client);
                if (i % 2 == 0) {
                    // Half have served a request and sit between requests; half never sent a byte.
                    client.send("GET /k" + i + " HTTP/1.1\r\nHost: gw\r\n\r\n");
                    assertThat(client.read().status()).isEqualTo(200);
                }
            }
            for (RawHttpClient client : clients) {
                client.timeout(5_000);
                assertThat(client.closedByServer()).isTrue();
            }
        } finally {
            for (RawHttpClient client : clients) {
                client.close();
            }
        }
        assertThat(get("/after").status()).isEqualTo(200);
    }

    @Test
    @DisplayName("S4: a client that vanishes mid-upload has its backend request aborted and the backend connection closed")
    void aClientThatVanishesMidUploadClosesTheBackendSide() throws Exception {
        start();
        for (boolean reset : new boolean[]{false, true}) {
            int index = backend.requests().size();
            RawHttpClient client = gateway.client();
            client.send("PUT /upload HTTP/1.1\r\nHost: gw\r\nContent-Length: 1000000\r\n\r\n");
            client.send(new byte[100_000]);
            Await.until(Duration.ofSeconds(5), "the upload at the backend", () -> backend.requests().size() > index);
            if (reset) {
                abortWithReset(client);
            } else {
                client.close();
            }
            assertThat(backend.requests().get(index).connection().waitForPeerClose(Duration.ofSeconds(5)))
                    .as("backend side closed (reset=%s)", reset).isTrue();
        }
        assertThat(get("/after").status()).isEqualTo(200);
    }

    private static void abortWithReset(RawHttpClient client) throws IOException {
        try {
            var field = RawHttpClient.class.getDeclaredField("socket");
            field.setAccessible(true);
            ((Socket) field.get(client)).setSoLinger(true, 0);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
        client.close();
    }

    @Test
    @DisplayName("S5: connections beyond server.max_connections are closed at accept; the open ones keep working")
    void connectionsBeyondTheCapAreClosedAtAccept() throws Exception {
        start("max_connections: 5");
        List<RawHttpClient> admitted = new ArrayList<>();
        try {
            for (int i = 0; i < 5; i++) {
                RawHttpClient client = gateway.client();
                admitted.add(client);
                client.send("GET /a" + i + " HTTP/1.1\r\nHost: gw\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
            }
            for (int i = 0; i < 3; i++) {
                try (RawHttpClient excess = gateway.client()) {
                    excess.timeout(5_000);
                    assertThat(excess.closedByServer()).as("excess connection closed").isTrue();
                }
            }
            for (RawHttpClient client : admitted) {
                client.send("GET /again HTTP/1.1\r\nHost: gw\r\n\r\n");
                assertThat(client.read().status()).isEqualTo(200);
            }
            int before = backend.requests().size();
            admitted.remove(0).close();
            // Once the gateway has seen that close, a new connection is admitted again.
            Await.until(Duration.ofSeconds(5), "a connection admitted after one closed", () -> {
                try (RawHttpClient client = gateway.client()) {
                    client.send("GET /later HTTP/1.1\r\nHost: gw\r\n\r\n");
                    return client.read().status() == 200;
                } catch (IOException refused) {
                    return false;
                }
            });
            assertThat(backend.requests().size()).isGreaterThan(before);
        } finally {
            for (RawHttpClient client : admitted) {
                client.close();
            }
        }
    }

    @Test
    @DisplayName("S6: 2,500 requests pipelined in one write are answered in order up to server.max_requests_per_connection (1000), then Connection: close and the close")
    void pipelinedRequestsAreAnsweredInOrderUpToTheCapThenClosed() throws Exception {
        start();
        int sent = 2_500;
        int cap = 1_000;
        StringBuilder pipeline = new StringBuilder();
        for (int i = 0; i < sent; i++) {
            pipeline.append("GET /p").append(i).append(" HTTP/1.1\r\nHost: gw\r\n\r\n");
        }
        try (RawHttpClient client = gateway.client()) {
            Thread writer = new Thread(() -> {
                try {
                    client.send(pipeline.toString());
                } catch (IOException expected) {
                    // the gateway closes after the cap, with requests still unread
                }
            }, "pipeliner");
            writer.setDaemon(true);
            writer.start();
            for (int i = 0; i < cap; i++) {
                Response response = client.read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.bodyText()).isEqualTo("/p" + i);
                if (i < cap - 1) {
                    assertThat(response.header("Connection")).as("response %d", i).isNull();
                } else {
                    assertThat(response.header("Connection")).isEqualToIgnoringCase("close");
                }
            }
            assertThat(client.closedByServer()).isTrue();
        }
        assertThat(backend.requests()).hasSize(cap);
    }
}
