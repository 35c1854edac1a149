package io.gatehouse.server;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.TestBackend;
import io.gatehouse.testing.TestCertificates;
import io.gatehouse.testing.WebSocketBackend;
import io.netty.pkitesting.X509Bundle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLSocket;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.gatehouse.testing.GatewayYaml.KEY;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code server.tls} end to end: the JDK's HTTP and WebSocket clients over TLS through a real gateway to plain
 * backends, a plain-HTTP client on the TLS port, a client that never finishes its handshake, and a reload that
 * brings a new certificate.
 */
class TlsIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final TestCertificates CA = TestCertificates.authority();

    @TempDir
    Path dir;
    private GatewayFixture gateway;

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private GatewayFixture start(String... tlsLines) {
        TestCertificates.write(CA.leaf("gateway-one"), dir, "one");
        gateway = GatewayFixture.withBackend(TestBackend.ok("hello over tls"))
                .start(url -> GatewayYaml.standard().server(TestCertificates.serverLines(dir, "one", tlsLines))
                        .route("/api", url));
        return gateway;
    }

    private HttpClient client() {
        return HttpClient.newBuilder().sslContext(CA.clientContext()).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(WAIT).build();
    }

    @Test
    void anHttpsRequestReachesItsBackendAsHttpsForwarded() throws Exception {
        start();
        HttpResponse<String> response = client().send(HttpRequest.newBuilder(
                        URI.create("https://localhost:" + gateway.gateway().port() + "/api/users/42"))
                .header("X-API-Key", KEY).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("hello over tls");
        assertThat(response.headers().firstValue("X-Request-Id")).isPresent();
        assertThat(gateway.lastRequest().header("X-Forwarded-Proto")).isEqualTo("https");
        // Policies are the same over TLS: no key, no entry.
        HttpResponse<String> refused = client().send(HttpRequest.newBuilder(
                        URI.create("https://localhost:" + gateway.gateway().port() + "/api/users/42"))
                .timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(401);
    }

    @Test
    void plainHttpOnTheTlsPortIsAnswered400AndClosed() throws Exception {
        start();
        try (Socket socket = new Socket("127.0.0.1", gateway.gateway().port())) {
            socket.setSoTimeout((int) WAIT.toMillis());
            socket.getOutputStream().write(("GET /api/users HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("Connection: close")
                    .endsWith("\r\n\r\n{\"error\":\"This port speaks HTTPS: use an https:// URL\"}");
        }
        assertThat(gateway.backend().requests()).isEmpty();
    }

    @Test
    void aClientThatNeverFinishesItsHandshakeIsClosed() throws Exception {
        start("handshake_timeout: 300ms");
        try (Socket socket = new Socket("127.0.0.1", gateway.gateway().port())) {
            socket.setSoTimeout((int) WAIT.toMillis());
            // A TLS handshake record header, then a few bytes of the 512 it announces, then nothing.
            socket.getOutputStream().write(new byte[]{0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc});
            long start = System.nanoTime();
            InputStream in = socket.getInputStream();
            int read;
            try {
                do {
                    read = in.read();
                } while (read >= 0);
            } catch (java.net.SocketException reset) {
                read = -1;
            }
            assertThat(read).isEqualTo(-1);
            // Well before the default 10 s: the configured 300 ms applies.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void aWebSocketWorksOverTls() throws Exception {
        TestCertificates.write(CA.leaf("gateway-one"), dir, "one");
        try (WebSocketBackend backend = WebSocketBackend.start()) {
            gateway = GatewayFixture.withBackends().start(GatewayYaml.standard()
                    .server(TestCertificates.serverLines(dir, "one"))
                    .route("/ws", backend.url(), "websocket: true"));
            BlockingQueue<String> messages = new LinkedBlockingQueue<>();
            WebSocket socket = HttpClient.newBuilder().sslContext(CA.clientContext()).build().newWebSocketBuilder()
                    .header("X-API-Key", KEY)
                    .buildAsync(URI.create("wss://localhost:" + gateway.gateway().port() + "/ws/echo"),
                            new WebSocket.Listener() {
                                @Override
                                public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                                    messages.add(data.toString());
                                    ws.request(1);
                                    return null;
                                }
                            }).get(20, TimeUnit.SECONDS);
            socket.sendText("over tls", true).get(20, TimeUnit.SECONDS);
            assertThat(messages.poll(20, TimeUnit.SECONDS)).isEqualTo("over tls");
            assertThat(backend.requests().get(0).get("X-Forwarded-Proto")).isEqualTo("https");
            socket.abort();
        }
    }

    @Test
    void aReloadWithANewCertificateServesItToNewConnections() throws Exception {
        start();
        assertThat(servedCertificate().getSubjectX500Principal().getName()).isEqualTo("CN=gateway-one");
        X509Bundle two = CA.leaf("gateway-two");
        TestCertificates.write(two, dir, "two");
        gateway.gateway().server().reload(ConfigLoader.parse(GatewayYaml.standard()
                .server(TestCertificates.serverLines(dir, "two")).route("/api", gateway.backend().url()).build(),
                "reload.yaml"));
        assertThat(servedCertificate().getSubjectX500Principal().getName()).isEqualTo("CN=gateway-two");
    }

    @Test
    void aRenewedCertificateIsServedAfterAnExplicitReloadOfAnUnchangedConfig() throws Exception {
        TestCertificates.write(CA.leaf("before-renewal"), dir, "one");
        String yaml = GatewayYaml.standard().server("watch_config: false")
                .server(TestCertificates.serverLines(dir, "one")).route("/api", "http://127.0.0.1:9").build();
        Path file = java.nio.file.Files.writeString(dir.resolve("gateway.yaml"), yaml);
        try (io.gatehouse.testing.TestGateway renewed = io.gatehouse.testing.TestGateway.start(yaml)) {
            assertThat(servedCertificate(renewed.port()).getSubjectX500Principal().getName())
                    .isEqualTo("CN=before-renewal");
            // certbot's renewal: new files under the same names; gateway.yaml itself does not change.
            TestCertificates.write(CA.leaf("after-renewal"), dir, "one");
            var outcome = renewed.server().reloadFrom(file).request("SIGHUP").get(20, TimeUnit.SECONDS);
            assertThat(outcome.result()).isEqualTo(io.gatehouse.reload.ReloadOutcome.Result.SUCCESS);
            assertThat(servedCertificate(renewed.port()).getSubjectX500Principal().getName())
                    .isEqualTo("CN=after-renewal");
        }
    }

    @Test
    void aRenewedCertificateIsServedOnceItsFilesChangeWhileTheConfigIsWatched() throws Exception {
        TestCertificates.write(CA.leaf("before-renewal"), dir, "one");
        String yaml = GatewayYaml.standard().server(TestCertificates.serverLines(dir, "one"))
                .route("/api", "http://127.0.0.1:9").build();
        Path file = java.nio.file.Files.writeString(dir.resolve("gateway.yaml"), yaml);
        try (io.gatehouse.testing.TestGateway renewed = io.gatehouse.testing.TestGateway.start(yaml)) {
            renewed.server().reloadFrom(file);
            assertThat(servedCertificate(renewed.port()).getSubjectX500Principal().getName())
                    .isEqualTo("CN=before-renewal");
            TestCertificates.write(CA.leaf("after-renewal"), dir, "one");
            io.gatehouse.testing.Await.until(WAIT, "the renewed certificate served", () -> {
                try {
                    return servedCertificate(renewed.port()).getSubjectX500Principal().getName()
                            .equals("CN=after-renewal");
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
        }
    }

    private X509Certificate servedCertificate() throws Exception {
        return servedCertificate(gateway.gateway().port());
    }

    private X509Certificate servedCertificate(int port) throws Exception {
        try (SSLSocket socket = (SSLSocket) CA.clientContext().getSocketFactory()
                .createSocket("127.0.0.1", port)) {
            socket.setSoTimeout((int) WAIT.toMillis());
            socket.startHandshake();
            return (X509Certificate) socket.getSession().getPeerCertificates()[0];
        }
    }
}
