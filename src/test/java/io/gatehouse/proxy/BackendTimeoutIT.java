package io.gatehouse.proxy;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The route timeout blames the backend only for the backend's own silence: a backend that stops reading an upload
 * times out, a client that reads a download slowly does not.
 */
class BackendTimeoutIT {

    private static final int BIG = 24 * 1024 * 1024;

    private static final CountDownLatch END = new CountDownLatch(1);
    private static GatewayFixture gateway;

    @BeforeAll
    static void start() {
        gateway = GatewayFixture.withBackend((request, connection) -> {
            switch (request.target()) {
                case "/never-reads", "/never-answers" -> END.await(30, TimeUnit.SECONDS);
                case "/big" -> {
                    connection.write("HTTP/1.1 200 OK\r\nContent-Length: " + BIG + "\r\n\r\n");
                    byte[] block = new byte[64 * 1024];
                    for (int sent = 0; sent < BIG; sent += block.length) {
                        connection.write(block);
                    }
                }
                default -> connection.respond(200, "fine");
            }
        }).start(backend -> GatewayYaml.loopback()
                .openRoute("/", backend, "timeout: 300ms", "max_body: 0")
                .openRoute("/patient", backend, "timeout: 1m"));
    }

    @AfterAll
    static void stop() {
        END.countDown();
        gateway.close();
    }

    @Test
    void aBackendThatStopsReadingAnUploadIsAnswered504AtTheRouteTimeout() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.timeout(10_000);
            client.send("PUT /never-reads HTTP/1.1\r\nHost: gw\r\nContent-Length: " + BIG + "\r\n\r\n");
            Thread uploader = new Thread(() -> {
                try {
                    byte[] block = new byte[64 * 1024];
                    for (int sent = 0; sent < BIG; sent += block.length) {
                        client.send(block);
                    }
                } catch (IOException expected) {
                    // the gateway closes the connection after its 504
                }
            });
            uploader.setDaemon(true);
            uploader.start();
            Response response = client.read();
            assertThat(response.status()).isEqualTo(504);
            assertThat(response.bodyText()).isEqualTo("{\"error\":\"Upstream timeout\"}");
        }
    }

    @Test
    void aShortTimeoutAfterALongOneOnTheSameConnectionStillFiresOnTime() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.timeout(10_000);
            // The first exchange arms the connection's backend timer a minute ahead.
            client.send("GET /patient/first HTTP/1.1\r\nHost: gw\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("fine");

            long start = System.nanoTime();
            client.send("GET /never-answers HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response response = client.read();

            assertThat(response.status()).isEqualTo(504);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aClientThatReadsSlowlyIsNotCutOffByTheBackendTimeout() throws Exception {
        try (RawHttpClient client = gateway.client(16 * 1024)) {
            client.send("GET /big HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response head = client.readHead();
            assertThat(head.header("Content-Length")).isEqualTo(Integer.toString(BIG));
            // Stop reading for longer than the route timeout: the gateway must pause the backend, not give up.
            Thread.sleep(1_000);
            InputStream body = client.input();
            long total = 0;
            byte[] buffer = new byte[64 * 1024];
            int n;
            while (total < BIG && (n = body.read(buffer)) != -1) {
                total += n;
            }
            assertThat(total).isEqualTo(BIG);
            client.send("GET /after HTTP/1.1\r\nHost: gw\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("fine");
        }
    }
}
