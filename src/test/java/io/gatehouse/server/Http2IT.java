package io.gatehouse.server;

import io.gatehouse.testing.Await;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.PseudoRandomBytes;
import io.gatehouse.testing.StreamingBackend;
import io.gatehouse.testing.TestBackend;
import io.gatehouse.testing.TestCertificates;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.gatehouse.testing.GatewayYaml.KEY;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTP/2 from clients end to end: the JDK's HTTP/2 client over TLS (ALPN) and curl by prior knowledge (h2c), through
 * a real gateway to HTTP/1.1 backends. The policies are those of HTTP/1.1, streams multiplex on one connection, a
 * slow stream holds back only its own backend, and a stream the client resets ends its backend request.
 */
class Http2IT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final TestCertificates CA = TestCertificates.authority();

    @TempDir
    Path dir;
    private GatewayFixture gateway;
    private StreamingBackend streaming;

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.close();
        }
        if (streaming != null) {
            streaming.close();
        }
    }

    private void startTls(TestBackend.Responder responder, String... serverLines) {
        TestCertificates.write(CA.leaf("gateway"), dir, "gw");
        String[] tls = TestCertificates.serverLines(dir, "gw");
        String[] lines = new String[tls.length + serverLines.length];
        System.arraycopy(tls, 0, lines, 0, tls.length);
        System.arraycopy(serverLines, 0, lines, tls.length, serverLines.length);
        streaming = StreamingBackend.start();
        gateway = GatewayFixture.withBackend(responder).start(url -> GatewayYaml.standard().server(lines)
                // A timeout far beyond the test's waits: only the client's reset can end a held request.
                .route("/api", url, "timeout: 5m").route("/stream", "http://127.0.0.1:" + streaming.port(), "max_body: 0"));
    }

    private HttpClient h2() {
        return HttpClient.newBuilder().sslContext(CA.clientContext()).version(HttpClient.Version.HTTP_2)
                .connectTimeout(WAIT).build();
    }

    private URI uri(String path) {
        return URI.create("https://localhost:" + gateway.gateway().port() + path);
    }

    @Test
    void h2OverTlsMultiplexesRequestsThroughTheSamePolicies() throws Exception {
        startTls(TestBackend.ok("hello over h2"));
        HttpClient client = h2();
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            responses.add(client.sendAsync(HttpRequest.newBuilder(uri("/api/users/" + i)).header("X-API-Key", KEY)
                    .timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (var future : responses) {
            HttpResponse<String> response = future.get(30, TimeUnit.SECONDS);
            assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("hello over h2");
            assertThat(response.headers().firstValue("x-request-id")).isPresent();
        }
        TestBackend.Request seen = gateway.lastRequest();
        assertThat(seen.header("X-Forwarded-Proto")).isEqualTo("https");
        assertThat(seen.header("X-Client-Name")).isEqualTo(GatewayYaml.CLIENT);
        assertThat(seen.header("Host")).isEqualTo(gateway.backend().url().substring("http://".length()));
        assertThat(seen.headers("x-http2-stream-id")).isEmpty();
        assertThat(seen.headers("x-http2-scheme")).isEmpty();
        assertThat(seen.header("X-API-Key")).isNull();

        HttpResponse<String> refused = client.send(HttpRequest.newBuilder(uri("/api/users/1")).timeout(WAIT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(refused.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(refused.body()).isEqualTo("{\"error\":\"Missing X-API-Key header\"}");
    }

    @Test
    void anHttp11ClientStillGetsHttp11OnTheTlsPort() throws Exception {
        startTls(TestBackend.ok("hello"));
        HttpResponse<String> response = HttpClient.newBuilder().sslContext(CA.clientContext())
                .version(HttpClient.Version.HTTP_1_1).build()
                .send(HttpRequest.newBuilder(uri("/api/x")).header("X-API-Key", KEY).timeout(WAIT).build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void anUploadStreamsThroughToTheBackendIntact() throws Exception {
        startTls(TestBackend.ok("unused"));
        long length = 8L * 1024 * 1024;
        HttpResponse<String> response = h2().send(HttpRequest.newBuilder(uri("/stream/sha256")).header("X-API-Key", KEY)
                        .timeout(WAIT).POST(HttpRequest.BodyPublishers.ofInputStream(
                                () -> new PseudoRandomBytes(7, length))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(PseudoRandomBytes.sha256(7, length) + " " + length);
    }

    @Test
    void aStreamThatIsNotReadHoldsBackItsOwnBackendAndNoOtherStream() throws Exception {
        startTls(TestBackend.ok("still served"));
        HttpClient client = h2();
        long length = 256L * 1024 * 1024;
        // The body is never read: the JDK client stops giving the stream window, the gateway stops reading the
        // backend.
        HttpResponse<InputStream> stalled = client.send(HttpRequest.newBuilder(
                        uri("/stream/bytes?length=" + length + "&seed=3&framing=length")).header("X-API-Key", KEY)
                .timeout(WAIT).build(), HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stalled.statusCode()).isEqualTo(200);
        long[] last = {-1};
        Await.until(WAIT, "the backend to stall", () -> {
            long now = streaming.bodyBytesSent();
            boolean still = now == last[0];
            last[0] = now;
            if (!still) {
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return still;
        });
        assertThat(last[0]).as("bytes the backend got out to a stream nobody reads").isLessThan(length / 2);
        // Same client, same connection: another stream is served meanwhile.
        HttpResponse<String> other = client.send(HttpRequest.newBuilder(uri("/api/other")).header("X-API-Key", KEY)
                .timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(other.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(other.body()).isEqualTo("still served");
        // Reading again, every byte arrives.
        try (InputStream body = stalled.body()) {
            assertThat(body.transferTo(java.io.OutputStream.nullOutputStream())).isEqualTo(length);
        }
    }

    @Test
    void aStreamTheClientCancelsEndsItsBackendRequest() throws Exception {
        java.util.concurrent.CountDownLatch arrived = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<Boolean> closedByGateway = new CompletableFuture<>();
        startTls((request, connection) -> {
            arrived.countDown();
            // Never answers: waits for the gateway to give the request up.
            closedByGateway.complete(connection.awaitPeerClose(WAIT));
        });
        CompletableFuture<HttpResponse<String>> pending = h2().sendAsync(HttpRequest.newBuilder(uri("/api/slow"))
                .header("X-API-Key", KEY).timeout(WAIT).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(arrived.await(30, TimeUnit.SECONDS)).isTrue();
        pending.cancel(true);
        assertThat(closedByGateway.get(40, TimeUnit.SECONDS)).as("the backend connection closed, not pooled").isTrue();
    }

    @Test
    void shutdownLetsAnOpenStreamFinish() throws Exception {
        java.util.concurrent.CountDownLatch arrived = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch answer = new java.util.concurrent.CountDownLatch(1);
        startTls((request, connection) -> {
            arrived.countDown();
            if (answer.await(30, TimeUnit.SECONDS)) {
                connection.respond(200, "finished during the drain");
            }
        });
        // curl, not the JDK's client: before JDK 21 that one fails every open stream on any GOAWAY, graceful or not.
        Process curl = new ProcessBuilder("curl", "-s", "--max-time", "30", "--http2", "--cacert",
                CA.writeAuthority(dir).toString(), "-w", "\n%{http_code} %{http_version}", "-H", "X-API-Key: " + KEY,
                uri("/api/slow").toString()).redirectErrorStream(true).start();
        assertThat(arrived.await(30, TimeUnit.SECONDS)).isTrue();
        java.util.concurrent.atomic.AtomicInteger cut = new java.util.concurrent.atomic.AtomicInteger(-1);
        Thread shutdown = new Thread(() -> cut.set(gateway.gateway().server().shutdown(Duration.ofSeconds(20))));
        shutdown.start();
        // The listener stops accepting first; the open stream is still served.
        Await.until(WAIT, "the listener to stop accepting", () -> {
            try (java.net.Socket probe = new java.net.Socket("127.0.0.1", gateway.gateway().port())) {
                return false;
            } catch (java.io.IOException refused) {
                return true;
            }
        });
        answer.countDown();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).isEqualTo("finished during the drain\n200 2");
        shutdown.join(WAIT.toMillis());
        assertThat(cut.get()).as("connections cut at the deadline").isZero();
    }

    @Test
    void h2cByPriorKnowledgeWhenEnabledAndHttp11BesideIt() throws Exception {
        gateway = GatewayFixture.withBackend(TestBackend.ok("cleartext h2"))
                .start(url -> GatewayYaml.standard().server("h2c: true").route("/api", url));
        String url = "http://127.0.0.1:" + gateway.gateway().port() + "/api/x";
        assertThat(curl("--http2-prior-knowledge", "-H", "X-API-Key: " + KEY, url)).isEqualTo("200 2 cleartext h2");
        assertThat(curl("--http1.1", "-H", "X-API-Key: " + KEY, url)).isEqualTo("200 1.1 cleartext h2");
        // Upgrade: h2c is refused whatever h2c says: it is a smuggling path.
        assertThat(curl("--http2", "-H", "X-API-Key: " + KEY, url)).startsWith("400 1.1");
    }

    @Test
    void withoutH2cThePrefaceIsNotHttp() throws Exception {
        gateway = GatewayFixture.withBackend(TestBackend.ok("cleartext"))
                .start(url -> GatewayYaml.standard().route("/api", url));
        String url = "http://127.0.0.1:" + gateway.gateway().port() + "/api/x";
        assertThat(curl("--http2-prior-knowledge", "-H", "X-API-Key: " + KEY, url)).doesNotStartWith("200");
        assertThat(gateway.backend().requests()).isEmpty();
    }

    /** {@code curl -s} with {@code args}: "status http_version body". */
    private static String curl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "-s", "--max-time", "20", "-w",
                "\n%{http_code} %{http_version}"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        int end = text.lastIndexOf('\n');
        return (text.substring(end + 1) + " " + text.substring(0, Math.max(end, 0))).strip();
    }
}
