package io.gatehouse.proxy;

import io.gatehouse.testing.ForkedGateway;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.PseudoRandomBytes;
import io.gatehouse.testing.StreamingBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bodies far larger than the heap through the packaged gateway, forked with {@code -Xmx64m} (which also caps
 * Netty's direct memory at 64 MiB): a 1 GiB upload and two 1 GiB downloads (chunked and with a Content-Length),
 * each checked by SHA-256 end to end, and a slow client that the backend must wait for. Neither side of the test
 * holds a body in memory. A gateway that buffered instead of streaming runs out of its 64 MiB of direct memory and
 * cuts the transfer short, which fails the length and hash checks; a heap {@code OutOfMemoryError} or a leak
 * report in its output fails {@link ForkedGateway#stop()}.
 */
class LargeBodyIT {

    private static final long GIB = 1024L * 1024 * 1024;
    private static final long MIB = 1024L * 1024;
    private static final String API_KEY = "key_test_large_bodies";
    /** One body for every 1 GiB transfer, so its SHA-256 is computed once. */
    private static final long GIB_SEED = 0x5EED_0001L;
    private static String gibSha256;

    private StreamingBackend backend;
    private ForkedGateway gateway;

    @BeforeEach
    void start() {
        backend = StreamingBackend.start();
        gateway = ForkedGateway.start(GatewayYaml.loopback()
                .key(API_KEY, "large-body-test", 1000)
                .block("cache:\n  max_size: 8MiB\n  max_object: 1MiB\n")
                .route("/big", "http://127.0.0.1:" + backend.port(), "strip_prefix: true", "timeout: 60s",
                        "max_body: 2GiB")
                .route("/cached", "http://127.0.0.1:" + backend.port(), "strip_prefix: true", "timeout: 60s",
                        "cache: { shared: true }")
                .build());
    }

    @AfterEach
    void stop() throws IOException {
        try {
            if (gateway != null) {
                gateway.triggerLeakDetection();
                long peakKib = gateway.peakResidentKib();
                System.out.printf(Locale.ROOT, "forked gateway peak RSS (VmHWM): %d MiB%n", peakKib / 1024);
                // Heap and direct memory are capped at 64 MiB each; the rest is the JVM itself. A body is 1 GiB.
                assertThat(peakKib).as("peak resident KiB of the gateway").isLessThan(512 * 1024);
                assertThat(gateway.stop()).as("exit code after SIGTERM").isZero();
            }
        } finally {
            if (gateway != null) {
                gateway.close();
            }
            backend.close();
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void uploadsOneGibibyteWithContentLengthIntactThroughASixtyFourMegabyteHeap() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(uri("/big/sha256"))
                .header("X-API-Key", API_KEY)
                .POST(HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> new PseudoRandomBytes(GIB_SEED, GIB)), GIB))
                .build();

        long started = System.nanoTime();
        HttpResponse<String> response = client().send(request, HttpResponse.BodyHandlers.ofString());
        report("upload (Content-Length)", GIB, started);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(expectedGibSha256() + " " + GIB);
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void downloadsOneGibibyteChunkedIntactThroughASixtyFourMegabyteHeap() throws Exception {
        long started = System.nanoTime();
        HttpResponse<InputStream> response = client().send(download(GIB_SEED, GIB, "chunked"),
                HttpResponse.BodyHandlers.ofInputStream());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Length")).isEmpty();
        String received = sha256Of(response.body(), GIB);
        report("download (chunked)", GIB, started);
        assertThat(received).isEqualTo(expectedGibSha256());
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void downloadsOneGibibyteWithContentLengthIntactThroughASixtyFourMegabyteHeap() throws Exception {
        long started = System.nanoTime();
        HttpResponse<InputStream> response = client().send(download(GIB_SEED, GIB, "length"),
                HttpResponse.BodyHandlers.ofInputStream());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValueAsLong("Content-Length")).hasValue(GIB);
        String received = sha256Of(response.body(), GIB);
        report("download (Content-Length)", GIB, started);
        assertThat(received).isEqualTo(expectedGibSha256());
    }

    /**
     * On a cached route a body of unknown length is copied for the store until it passes {@code max_object}, then
     * streams on uncopied: 1 GiB still passes through 64 MiB, intact.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void downloadsOneGibibyteChunkedIntactThroughACachedRoute() throws Exception {
        long started = System.nanoTime();
        HttpRequest request = HttpRequest.newBuilder(
                        uri("/cached/bytes?length=" + GIB + "&seed=" + GIB_SEED + "&framing=chunked"))
                .header("X-API-Key", API_KEY).GET().build();
        HttpResponse<InputStream> response = client().send(request, HttpResponse.BodyHandlers.ofInputStream());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Cache-Status")).hasValue("gatehouse; fwd=miss");
        String received = sha256Of(response.body(), GIB);
        report("download (chunked, cached route)", GIB, started);
        assertThat(received).isEqualTo(expectedGibSha256());
    }

    /**
     * A client that reads 64 KiB every 10 ms gets 100 MB intact, and the backend is held back: it is never more
     * than the socket buffers on the way ahead of the client. Without backpressure the gateway would read the
     * whole body at loopback speed and queue it for the client, far beyond its 64 MiB.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void slowClientReceivesOneHundredMegabytesIntactWhileTheBackendWaitsForIt() throws Exception {
        long seed = 0x5EED_0002L;
        long length = 100_000_000L;
        int step = 64 * 1024;
        long maxLead = 0;
        MessageDigest digest = PseudoRandomBytes.newSha256();

        try (Socket socket = new Socket()) {
            socket.setReceiveBufferSize(step);
            socket.connect(new InetSocketAddress("127.0.0.1", gateway.port()), 5000);
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /big/bytes?length=" + length + "&seed=" + seed + "&framing=length HTTP/1.1\r\n"
                    + "Host: gatehouse\r\nX-API-Key: " + API_KEY + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = socket.getInputStream();
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 200 ").containsIgnoringCase("content-length: " + length);

            byte[] buffer = new byte[step];
            long read = 0;
            while (read < length) {
                int want = (int) Math.min(step, length - read);
                int n = in.readNBytes(buffer, 0, want);
                if (n < want) {
                    throw new AssertionError("the response ended after " + (read + n) + " of " + length
                            + " bytes; the gateway said:\n" + gateway.describeOutput());
                }
                digest.update(buffer, 0, n);
                read += n;
                maxLead = Math.max(maxLead, backend.bodyBytesSent() - read);
                Thread.sleep(10);
            }
            assertThat(in.read()).as("end of stream after the body").isEqualTo(-1);
        }

        System.out.printf(Locale.ROOT, "slow client: the backend was at most %.1f MiB ahead%n",
                maxLead / (double) MIB);
        assertThat(HexFormat.of().formatHex(digest.digest())).isEqualTo(PseudoRandomBytes.sha256(seed, length));
        // Kernel socket buffers on the way (backend send, gateway receive and send) may hold some MiB each.
        assertThat(maxLead).as("bytes the backend was ahead of the client").isLessThan(48 * MIB);
    }

    private static synchronized String expectedGibSha256() {
        if (gibSha256 == null) {
            gibSha256 = PseudoRandomBytes.sha256(GIB_SEED, GIB);
        }
        return gibSha256;
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + gateway.port() + path);
    }

    private HttpRequest download(long seed, long length, String framing) {
        return HttpRequest.newBuilder(uri("/big/bytes?length=" + length + "&seed=" + seed + "&framing=" + framing))
                .header("X-API-Key", API_KEY)
                .GET()
                .build();
    }

    private static HttpClient client() {
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** Hashes the body as it is read, and checks it has exactly {@code expectedLength} bytes. */
    private static String sha256Of(InputStream body, long expectedLength) throws IOException {
        MessageDigest digest = PseudoRandomBytes.newSha256();
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        try (body) {
            int n;
            while ((n = body.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
                total += n;
            }
        }
        assertThat(total).as("body length").isEqualTo(expectedLength);
        return HexFormat.of().formatHex(digest.digest());
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            assertThat(b).as("response head ended early: %s", head).isNotNegative();
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    private static void report(String what, long bytes, long startedNanos) {
        double seconds = (System.nanoTime() - startedNanos) / 1e9;
        System.out.printf(Locale.ROOT, "%s: %d MiB in %.1f s = %.0f MB/s%n", what, bytes / MIB, seconds,
                bytes / 1e6 / seconds);
    }
}
