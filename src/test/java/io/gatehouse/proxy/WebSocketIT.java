package io.gatehouse.proxy;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.TestGateway;
import io.gatehouse.testing.WebSocketBackend;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.gatehouse.testing.GatewayYaml.CLIENT;
import static io.gatehouse.testing.GatewayYaml.KEY;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * WebSocket routes end to end: the JDK's WebSocket client and raw sockets through a real gateway to a backend that
 * takes upgrades. The upgrade passes the route's policies like any request, goes to the backend with its upgrade
 * headers, and on 101 becomes a byte tunnel with backpressure both ways, an idle timeout, and closes that travel;
 * a refused or malformed upgrade never reaches the backend.
 */
class WebSocketIT {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String NONCE = "dGhlIHNhbXBsZSBub25jZQ==";

    @TempDir
    Path dir;
    private final WebSocketBackend backend = WebSocketBackend.start();
    private TestGateway gateway;

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.close();
        }
        backend.close();
    }

    private GatewayYaml yaml(String... wsRouteLines) {
        String[] lines = new String[wsRouteLines.length + 1];
        lines[0] = "websocket: true";
        System.arraycopy(wsRouteLines, 0, lines, 1, wsRouteLines.length);
        return GatewayYaml.standard().route("/ws/chat", backend.url(), lines).route("/plain", backend.url());
    }

    private void start(String... wsRouteLines) {
        gateway = TestGateway.start(yaml(wsRouteLines).build());
    }

    private static String upgrade(String path, String... headers) {
        StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: gw\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + NONCE + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n");
        for (String header : headers) {
            request.append(header).append("\r\n");
        }
        return request.append("\r\n").toString();
    }

    private static String keyed(String path) {
        return upgrade(path, "X-API-Key: " + KEY);
    }

    @Test
    void aWebSocketClientTalksToItsBackendThroughTheGateway() throws Exception {
        start();
        BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        CompletableFuture<Integer> closed = new CompletableFuture<>();
        WebSocket socket = HttpClient.newHttpClient().newWebSocketBuilder().header("X-API-Key", KEY)
                .buildAsync(URI.create("ws://127.0.0.1:" + gateway.port() + "/ws/chat/echo"), new WebSocket.Listener() {
                    private StringBuilder partial = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        partial.append(data);
                        if (last) {
                            messages.add(partial.toString());
                            partial = new StringBuilder();
                        }
                        webSocket.request(1);
                        return null;
                    }

                    @Override
                    public CompletionStage<?> onClose(WebSocket webSocket, int status, String reason) {
                        closed.complete(status);
                        return null;
                    }
                }).get(20, TimeUnit.SECONDS);
        socket.sendText("hello", true).get(20, TimeUnit.SECONDS);
        assertThat(messages.poll(20, TimeUnit.SECONDS)).isEqualTo("hello");
        String big = "0123456789".repeat(30_000);
        socket.sendText(big, true).get(20, TimeUnit.SECONDS);
        String echoed = messages.poll(20, TimeUnit.SECONDS);
        assertThat(echoed).as("the 300,000-character echo").isNotNull().hasSize(big.length());
        assertThat(echoed.equals(big)).as("the echo is the message").isTrue();
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(20, TimeUnit.SECONDS);
        assertThat(closed.get(20, TimeUnit.SECONDS)).isEqualTo(WebSocket.NORMAL_CLOSURE);

        HttpHeaders seen = backend.requests().get(0);
        assertThat(seen.get("Upgrade")).isEqualToIgnoringCase("websocket");
        assertThat(seen.get("Connection")).containsIgnoringCase("upgrade");
        assertThat(seen.get("Sec-WebSocket-Key")).isNotBlank();
        assertThat(seen.get("Sec-WebSocket-Version")).isEqualTo("13");
        assertThat(seen.get("X-Client-Name")).isEqualTo(CLIENT);
        assertThat(seen.get("X-Request-Id")).isNotBlank();
        assertThat(seen.contains("X-API-Key")).isFalse();
    }

    @Test
    void anUpgradeWithoutAKeyIs401AndNothingIsForwarded() throws Exception {
        start();
        try (Raw raw = Raw.open(gateway.port(), upgrade("/ws/chat/raw-echo"))) {
            assertThat(raw.status()).isEqualTo(401);
        }
        assertThat(backend.requests()).isEmpty();
    }

    @Test
    void anUpgradeOnARouteWithoutWebsocketIs400AndNothingIsForwarded() throws Exception {
        start();
        try (Raw raw = Raw.open(gateway.port(), keyed("/plain/raw-echo"))) {
            assertThat(raw.status()).isEqualTo(400);
            assertThat(raw.body()).isEqualTo("{\"error\":\"WebSocket is not enabled on this route\"}");
        }
        assertThat(backend.requests()).isEmpty();
    }

    @Test
    void aMalformedHandshakeIs400AndNothingIsForwarded() throws Exception {
        start();
        for (String request : List.of(
                keyed("/ws/chat/raw-echo").replace("Sec-WebSocket-Key: " + NONCE + "\r\n", ""),
                keyed("/ws/chat/raw-echo").replace(NONCE, "c2hvcnQ="),
                keyed("/ws/chat/raw-echo").replace("Sec-WebSocket-Version: 13\r\n", ""),
                keyed("/ws/chat/raw-echo").replace("GET ", "POST ").replace("\r\n\r\n", "\r\nContent-Length: 2\r\n\r\nhi"),
                keyed("/ws/chat/raw-echo").replace("HTTP/1.1", "HTTP/1.0"))) {
            try (Raw raw = Raw.open(gateway.port(), request)) {
                assertThat(raw.status()).as(request).isEqualTo(400);
                assertThat(raw.body()).as(request).contains("WebSocket");
            }
        }
        assertThat(backend.requests()).isEmpty();
    }

    @Test
    void theRoutesRateLimitCountsUpgrades() throws Exception {
        gateway = TestGateway.start(GatewayYaml.loopback().key("one-a-minute", "slow-app", 1)
                .route("/ws/chat", backend.url(), "websocket: true").build());
        String request = upgrade("/ws/chat/raw-echo", "X-API-Key: one-a-minute");
        try (Raw first = Raw.open(gateway.port(), request)) {
            assertThat(first.status()).isEqualTo(101);
            try (Raw second = Raw.open(gateway.port(), request)) {
                assertThat(second.status()).isEqualTo(429);
            }
        }
        assertThat(backend.requests()).hasSize(1);
    }

    @Test
    void aBackendThatRefusesTheUpgradeIsRelayedAsAResponse() throws Exception {
        start();
        try (Raw raw = Raw.open(gateway.port(), keyed("/ws/chat/refuse"))) {
            assertThat(raw.status()).isEqualTo(403);
            assertThat(raw.body()).isEqualTo("{\"error\":\"no chat for you\"}");
        }
        Await.until(WAIT, "the refused upgrade's backend connection closed, not pooled",
                () -> backend.channels().stream().noneMatch(io.netty.channel.Channel::isActive));
    }

    @Test
    void bytesRightBehindThe101AndEchoesArriveInOrder() throws Exception {
        start();
        try (Raw raw = Raw.open(gateway.port(), keyed("/ws/chat/raw-echo"))) {
            assertThat(raw.status()).isEqualTo(101);
            assertThat(raw.head()).containsIgnoringCase("upgrade: websocket").containsIgnoringCase("x-request-id:")
                    .containsIgnoringCase("sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
            assertThat(raw.read(5)).isEqualTo("hello");
            for (int i = 0; i < 100; i++) {
                raw.write("ping-" + i);
                assertThat(raw.read(("ping-" + i).length())).isEqualTo("ping-" + i);
            }
        }
    }

    @Test
    void aCloseOnEitherSideClosesTheOther() throws Exception {
        start();
        try (Raw raw = Raw.open(gateway.port(), keyed("/ws/chat/raw-echo"))) {
            assertThat(raw.read(5)).isEqualTo("hello");
            raw.write("bye");
            // The backend's last bytes arrive before the close it sent them with.
            assertThat(raw.read(3)).isEqualTo("bye");
            assertThat(raw.endOfStream()).isTrue();
        }
        try (Raw raw = Raw.open(gateway.port(), keyed("/ws/chat/raw-echo"))) {
            assertThat(raw.read(5)).isEqualTo("hello");
        }
        Await.until(WAIT, "both backend connections closed",
                () -> backend.channels().size() == 2 && backend.channels().stream().noneMatch(c -> c.isActive()));
    }

    @Test
    void anIdleTunnelIsClosedAfterTheRoutesIdleTimeout() throws Exception {
        start("websocket_idle_timeout: 1s");
        try (Raw raw = Raw.open(gateway.port(), keyed("/ws/chat/raw-echo"))) {
            assertThat(raw.read(5)).isEqualTo("hello");
            long start = System.nanoTime();
            assertThat(raw.endOfStream()).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(500));
        }
        Await.until(WAIT, "the backend connection closed", () -> !backend.channels().get(0).isActive());
    }

    @Test
    void aClientThatStopsReadingHoldsTheBackendBack() throws Exception {
        start();
        try (Raw raw = Raw.open(gateway.port(), keyed("/ws/chat/raw-flood"))) {
            assertThat(raw.status()).isEqualTo(101);
            long stalled = Await.stall(backend.sent(), WAIT, "the backend's flood");
            assertThat(stalled).as("bytes the backend got out while the client read nothing")
                    .isLessThan(WebSocketBackend.FLOOD / 4);
            // Reading again, the client gets every byte, in order.
            byte[] buffer = new byte[64 * 1024];
            long offset = 0;
            while (offset < WebSocketBackend.FLOOD) {
                int n = raw.in.read(buffer);
                assertThat(n).as("bytes at offset " + offset).isPositive();
                for (int i = 0; i < n; i++) {
                    if (buffer[i] != WebSocketBackend.patternByte(offset + i)) {
                        throw new AssertionError("wrong byte at offset " + (offset + i));
                    }
                }
                offset += n;
            }
            assertThat(backend.sent().get()).isEqualTo(WebSocketBackend.FLOOD);
        }
    }

    @Test
    void aBackendThatStopsReadingHoldsTheClientBack() throws Exception {
        start();
        try (Raw raw = Raw.open(gateway.port(), keyed("/ws/chat/raw-sink"))) {
            assertThat(raw.status()).isEqualTo(101);
            AtomicLong written = new AtomicLong();
            Thread writer = new Thread(() -> {
                byte[] chunk = new byte[64 * 1024];
                try {
                    while (written.get() < WebSocketBackend.FLOOD) {
                        raw.out.write(chunk);
                        written.addAndGet(chunk.length);
                    }
                } catch (IOException e) {
                    // the socket closed under the writer at the end of a failed test
                }
            }, "websocket-test-writer");
            writer.setDaemon(true);
            writer.start();
            long stalled = Await.stall(written, WAIT, "the client's upload");
            assertThat(stalled).as("bytes the client got out while the backend read nothing")
                    .isLessThan(WebSocketBackend.FLOOD / 4);
            backend.startReading();
            Await.until(WAIT, "the backend read everything", () -> backend.received().get() == WebSocketBackend.FLOOD);
            writer.join(WAIT.toMillis());
        }
    }

    @Test
    void theAccessLineIsWrittenAtTheCloseWithTheTunnelsBytesEachWay() throws Exception {
        Path file = dir.resolve("access.json");
        gateway = TestGateway.start(yaml().block("access_log:\n  format: json\n  path: " + file + "\n").build());
        try (Raw raw = Raw.open(gateway.port(), keyed("/ws/chat/raw-echo"))) {
            assertThat(raw.read(5)).isEqualTo("hello");
            raw.write("ping");
            assertThat(raw.read(4)).isEqualTo("ping");
            assertThat(Files.exists(file) && !Files.readString(file).isBlank()).as("no line while open").isFalse();
            raw.write("bye");
            assertThat(raw.read(3)).isEqualTo("bye");
            assertThat(raw.endOfStream()).isTrue();
        }
        Await.until(WAIT, "the tunnel's access line", () -> {
            try {
                return Files.exists(file) && !Files.readAllLines(file).isEmpty();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(1);
        JsonNode line = JsonMapper.builder().build().readTree(lines.get(0));
        assertThat(line.get("status").asInt()).isEqualTo(101);
        assertThat(line.get("path").asString()).isEqualTo("/ws/chat/raw-echo");
        assertThat(line.get("client").asString()).isEqualTo(CLIENT);
        assertThat(line.get("bytes_in").asLong()).isEqualTo(7);
        assertThat(line.get("bytes_out").asLong()).isEqualTo(12);
        assertThat(line.has("failure")).as(lines.get(0)).isFalse();
    }

    @Test
    void aReloadLeavesAnOpenTunnelOpenWhileIdleConnectionsClose() throws Exception {
        start();
        try (Raw tunnel = Raw.open(gateway.port(), keyed("/ws/chat/raw-echo"));
             Raw idle = Raw.open(gateway.port(), "GET /ws/chat/refuse HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY
                     + "\r\n\r\n")) {
            assertThat(tunnel.read(5)).isEqualTo("hello");
            assertThat(idle.status()).isEqualTo(403);
            idle.body();
            int newPort;
            try (ServerSocket free = new ServerSocket(0)) {
                newPort = free.getLocalPort();
            }
            gateway.server().reload(ConfigLoader.parse(yaml().server("shutdown_timeout: 1s").build()
                    .replace("port: 0", "port: " + newPort), "reload.yaml"));
            // The old listener's idle connections are closed after the handover and the drain...
            assertThat(idle.endOfStream()).isTrue();
            // ... and the tunnel on that listener is not.
            tunnel.write("still-here");
            assertThat(tunnel.read(10)).isEqualTo("still-here");
        }
    }

    @Test
    void shutdownCutsAnOpenTunnelAtTheDrainDeadline() throws Exception {
        start();
        try (Raw tunnel = Raw.open(gateway.port(), keyed("/ws/chat/raw-echo"))) {
            assertThat(tunnel.read(5)).isEqualTo("hello");
            AtomicInteger cut = new AtomicInteger(-1);
            Thread shutdown = new Thread(() -> cut.set(gateway.server().shutdown(Duration.ofSeconds(2))));
            shutdown.start();
            // Draining: the tunnel still works...
            tunnel.write("draining");
            assertThat(tunnel.read(8)).isEqualTo("draining");
            shutdown.join(WAIT.toMillis());
            // ... until the deadline, which cuts it.
            assertThat(cut.get()).isEqualTo(1);
            assertThat(tunnel.endOfStream()).isTrue();
        }
        gateway = null;
    }

    /** A raw client connection: the request written, the response head read byte by byte, then the tunnel. */
    private static final class Raw implements AutoCloseable {
        private final Socket socket;
        final InputStream in;
        final OutputStream out;
        private final String head;

        private Raw(Socket socket, String head) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
            this.head = head;
        }

        static Raw open(int port, String request) throws IOException {
            Socket socket = new Socket();
            // Small buffers, so that a stalled reader or writer shows within a few hundred kilobytes.
            socket.setReceiveBufferSize(64 * 1024);
            socket.setSendBufferSize(64 * 1024);
            socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
            socket.setSoTimeout((int) WAIT.toMillis());
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("closed after " + head.toString(StandardCharsets.US_ASCII));
                }
                head.write(b);
            }
            return new Raw(socket, head.toString(StandardCharsets.US_ASCII));
        }

        String head() {
            return head;
        }

        int status() {
            return Integer.parseInt(head.substring(9, 12));
        }

        /** The body, by its Content-Length. */
        String body() throws IOException {
            for (String line : head.split("\r\n")) {
                if (line.regionMatches(true, 0, "content-length:", 0, 15)) {
                    return read(Integer.parseInt(line.substring(15).trim()));
                }
            }
            return "";
        }

        String read(int n) throws IOException {
            return new String(in.readNBytes(n), StandardCharsets.US_ASCII);
        }

        void write(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        /** Whether the next read finds the end of the stream (rather than a byte), waiting up to the timeout. */
        boolean endOfStream() throws IOException {
            try {
                return in.read() < 0;
            } catch (java.net.SocketException e) {
                return true; // reset: closed as well
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
