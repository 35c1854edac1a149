package io.gatehouse.reload;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.server.GatehouseServer;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.PseudoRandomBytes;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.StreamingBackend;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ref.WeakReference;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The proof that a reload under load loses nothing. Two backends (A and B, 0–20 ms each) and a slow endpoint (2 s);
 * for about twenty seconds 32 keep-alive clients, 4 clients of the slow endpoint, a streaming upload and a streaming
 * download run while the file is rewritten every 250 ms or so — the route moved A→B and back, a route added and
 * removed, a key added and removed, limits changed, the listening port moved, every fifth write invalid — and the
 * gateway picks each write up by itself (the file is watched).
 * <p>
 * Then: no client saw an error (no refused connection, reset, timeout or unexpected status; a request to a route
 * just removed gets a clean 404, to a key just removed a clean 403); every response matches the config generation
 * the access log says it ran under; slow requests finish from the backend they started on, across the move; an
 * invalid file changed nothing; and every snapshot but the running one is garbage once the clients are gone.
 * <p>
 * Clients learn the port the way a client behind service discovery would: a new connection goes to the port the
 * gateway listens on now; a connection to the old port is told {@code Connection: close} after its current
 * response.
 */
class ReloadUnderLoadIT {

    private static final Duration LOAD = Duration.ofSeconds(20);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final String KEY = "key_reload_one_1234";
    private static final String SECOND_KEY = "key_reload_two_5678";
    private static final int STEADY_CLIENTS = 32;
    private static final int SLOW_CLIENTS = 4;

    @TempDir
    Path dir;

    /** What a config generation says about each request the clients make. */
    record State(boolean onB, boolean extraRoute, boolean secondKey, boolean higherLimits, int port) {

        String backend() {
            return onB ? "B" : "A";
        }

        String yaml(String a, String b, String streaming, Path accessLog) {
            String svc = onB ? b : a;
            StringBuilder yaml = new StringBuilder()
                    .append("server:\n  host: 127.0.0.1\n  port: ").append(port)
                    .append("\n  shutdown_timeout: 60s\n  max_requests_per_connection: 0\n")
                    .append("access_log:\n  format: json\n  path: ").append(accessLog).append('\n')
                    .append("auth:\n  keys:\n")
                    .append("    - key: ").append(KEY).append("\n      name: one\n      rate_limit: ")
                    .append(higherLimits ? 2_000_000 : 1_000_000).append('\n');
            if (secondKey) {
                yaml.append("    - key: ").append(SECOND_KEY).append("\n      name: two\n      rate_limit: 1000000\n");
            }
            yaml.append("routes:\n")
                    .append("  - prefix: /svc\n    upstream: ").append(svc).append("\n    auth: none\n")
                    .append("    timeout: ").append(higherLimits ? "9s" : "8s").append('\n')
                    .append("    max_body: ").append(higherLimits ? "2MiB" : "1MiB").append('\n')
                    .append("  - prefix: /slow\n    upstream: ").append(svc).append("\n    auth: none\n")
                    .append("  - prefix: /keyed\n    upstream: ").append(svc).append('\n')
                    .append("  - prefix: /stream\n    upstream: ").append(streaming).append("\n    auth: none\n");
            if (extraRoute) {
                yaml.append("  - prefix: /extra\n    upstream: ").append(a).append("\n    auth: none\n");
            }
            return yaml.toString();
        }
    }

    /** One response a client got, to be matched with its access line. */
    record Seen(String requestId, String path, String key, int status, String body) {
    }

    private final Queue<String> errors = new ConcurrentLinkedQueue<>();
    private final Queue<Seen> seen = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private volatile GatehouseServer server;

    private void error(String what, Throwable e) {
        errors.add(what + ": " + e);
    }

    @Test
    void reloadsUnderLoadLoseNothing() throws Exception {
        Path file = dir.resolve("gateway.yaml");
        Path accessLog = dir.resolve("access.json");
        try (TestBackend a = TestBackend.start(backend("A"));
             TestBackend b = TestBackend.start(backend("B"));
             StreamingBackend streaming = StreamingBackend.start()) {
            String streamingUrl = "http://127.0.0.1:" + streaming.port();
            State state = new State(false, false, false, false, freePort());
            Files.writeString(file, state.yaml(a.url(), b.url(), streamingUrl, accessLog));
            server = GatehouseServer.start(ConfigLoader.load(file));
            ConfigReloader reloader = server.reloadFrom(file);
            assertThat(reloader.watching()).isTrue();

            Map<Long, State> generations = new ConcurrentHashMap<>();
            generations.put(1L, state);
            List<WeakReference<RuntimeConfig>> snapshots = new ArrayList<>();
            snapshots.add(new WeakReference<>(server.config()));

            List<Thread> clients = new ArrayList<>();
            for (int i = 0; i < STEADY_CLIENTS; i++) {
                clients.add(start("steady-" + i, this::steadyClient));
            }
            AtomicInteger slowAcrossRetarget = new AtomicInteger();
            for (int i = 0; i < SLOW_CLIENTS; i++) {
                clients.add(start("slow-" + i, () -> slowClient(generations, slowAcrossRetarget)));
            }
            AtomicInteger uploads = new AtomicInteger();
            AtomicInteger downloads = new AtomicInteger();
            clients.add(start("upload", () -> uploadClient(uploads)));
            clients.add(start("download", () -> downloadClient(downloads)));

            // The reloader: a write, then wait until the gateway took it (or refused it), at most every 250 ms.
            int writes = 0;
            int invalid = 0;
            int portMoves = 0;
            int action = 0;
            long end = System.nanoTime() + LOAD.toNanos();
            while (System.nanoTime() - end < 0) {
                long writtenAt = System.nanoTime();
                writes++;
                if (writes % 5 == 0) {
                    invalid++;
                    RuntimeConfig before = server.config();
                    var status = server.configStatus();
                    // Each invalid file is different, so each one is a refusal of its own (and logged).
                    renameOver(file, state.yaml(a.url(), b.url(), streamingUrl, accessLog)
                            .replace("routes:\n", "routes:\n  - prefix: no-slash-" + writes + "\n"));
                    Await.until(WAIT, "invalid write " + writes + " refused",
                            () -> server.configStatus().lastErrorAt() != null
                                    && !server.configStatus().lastErrorAt().equals(status.lastErrorAt()));
                    assertThat(server.config()).as("an invalid file changes nothing").isSameAs(before);
                    assertThat(server.configStatus().generation()).isEqualTo(status.generation());
                    assertThat(server.configStatus().lastError()).contains(file + ":");
                } else {
                    State next = switch (action++ % 5) {
                        case 0 -> new State(!state.onB(), state.extraRoute(), state.secondKey(),
                                state.higherLimits(), state.port());
                        case 1 -> new State(state.onB(), !state.extraRoute(), state.secondKey(),
                                state.higherLimits(), state.port());
                        case 2 -> new State(state.onB(), state.extraRoute(), !state.secondKey(),
                                state.higherLimits(), state.port());
                        case 3 -> new State(state.onB(), state.extraRoute(), state.secondKey(),
                                !state.higherLimits(), state.port());
                        default -> new State(state.onB(), state.extraRoute(), state.secondKey(),
                                state.higherLimits(), freePort());
                    };
                    String yaml = next.yaml(a.url(), b.url(), streamingUrl, accessLog);
                    String sha = ConfigLoader.sha256(yaml);
                    long generation = server.configStatus().generation();
                    renameOver(file, yaml);
                    Await.until(WAIT, "write " + writes + " applied", () -> sha.equals(server.configStatus().sha256())
                            || (server.configStatus().lastError() != null
                            && server.configStatus().lastError().startsWith("cannot listen")));
                    if (!sha.equals(server.configStatus().sha256())) {
                        // The free port was taken by someone else meanwhile: not what this test is about.
                        action--;
                        continue;
                    }
                    assertThat(server.configStatus().generation()).isEqualTo(generation + 1);
                    generations.put(generation + 1, next);
                    snapshots.add(new WeakReference<>(server.config()));
                    if (next.port() != state.port()) {
                        portMoves++;
                        assertThat(server.port()).isEqualTo(next.port());
                    }
                    state = next;
                }
                long spent = System.nanoTime() - writtenAt;
                if (spent < 250_000_000L) {
                    Thread.sleep((250_000_000L - spent) / 1_000_000L);
                }
            }
            stop.set(true);
            for (Thread client : clients) {
                client.join(WAIT.toMillis());
                assertThat(client.isAlive()).as(client.getName() + " finished").isFalse();
            }

            assertThat(errors).as("client-side errors").isEmpty();
            assertThat(invalid).isGreaterThanOrEqualTo(3);
            assertThat(portMoves).isGreaterThanOrEqualTo(2);
            assertThat(generations.size()).isGreaterThanOrEqualTo(12);
            assertThat(uploads).as("uploads completed").hasPositiveValue();
            assertThat(downloads).as("downloads completed").hasPositiveValue();
            assertThat(slowAcrossRetarget).as("slow requests that outlived a retarget").hasPositiveValue();

            // Every response against the generation its access line names.
            Map<String, JsonNode> lines = accessLines(accessLog, seen.size());
            int checked = 0;
            Map<Long, Integer> perGeneration = new HashMap<>();
            for (Seen response : seen) {
                JsonNode line = lines.get(response.requestId());
                assertThat(line).as("the access line of " + response).isNotNull();
                long generation = line.get("config_generation").asLong();
                State ran = generations.get(generation);
                assertThat(ran).as("generation " + generation + " of " + response).isNotNull();
                assertThat(line.get("status").asInt()).isEqualTo(response.status());
                expect(ran, response);
                perGeneration.merge(generation, 1, Integer::sum);
                checked++;
            }
            System.out.printf("reload under load: %d writes (%d invalid, %d port moves), %d generations, %d responses"
                    + " checked, %d uploads, %d downloads, %d slow requests across a retarget%n", writes, invalid,
                    portMoves, generations.size(), checked, uploads.get(), downloads.get(), slowAcrossRetarget.get());
            assertThat(checked).isGreaterThan(1000);
            assertThat(perGeneration.size()).as("responses seen under many generations")
                    .isGreaterThanOrEqualTo(generations.size() / 3);

            // Nothing holds on to an old snapshot once the connections that last used them are gone.
            RuntimeConfig current = server.config();
            Await.until(WAIT, "old snapshots collected", () -> {
                System.gc();
                return snapshots.stream().allMatch(ref -> ref.get() == null || ref.get() == current);
            });
        } finally {
            stop.set(true);
            if (server != null) {
                server.close();
            }
        }
    }

    /** What {@code state} says the response to {@code response.path()} is. */
    private static void expect(State state, Seen response) {
        String what = response + " under " + state;
        if (response.path().startsWith("/svc") || response.path().startsWith("/slow")) {
            assertThat(response.status()).as(what).isEqualTo(200);
            assertThat(response.body()).as(what).isEqualTo(state.backend());
        } else if (response.path().startsWith("/extra")) {
            if (state.extraRoute()) {
                assertThat(response.status()).as(what).isEqualTo(200);
                assertThat(response.body()).as(what).isEqualTo("A");
            } else {
                assertThat(response.status()).as(what).isEqualTo(404);
                assertThat(response.body()).as(what).isEqualTo("{\"error\":\"Route not found\"}");
            }
        } else if (response.path().startsWith("/keyed")) {
            if (KEY.equals(response.key()) || state.secondKey()) {
                assertThat(response.status()).as(what).isEqualTo(200);
                assertThat(response.body()).as(what).isEqualTo(state.backend());
            } else {
                assertThat(response.status()).as(what).isEqualTo(403);
            }
        } else {
            throw new AssertionError("unexpected path " + what);
        }
    }

    private static TestBackend.Responder backend(String name) {
        return (request, connection) -> {
            request.body();
            Thread.sleep(request.target().startsWith("/slow") ? 2000 : ThreadLocalRandom.current().nextInt(21));
            connection.respond(200, name, "Content-Type: text/plain");
        };
    }

    private Thread start(String name, Runnable body) {
        Thread thread = new Thread(body, "reload-load-" + name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Keep-alive requests back to back, a new connection (to the port in use now) whenever one is closed. */
    private void steadyClient() {
        RawHttpClient client = null;
        ThreadLocalRandom random = ThreadLocalRandom.current();
        try {
            while (!stop.get()) {
                int pick = random.nextInt(10);
                String path;
                String key = null;
                if (pick < 6) {
                    path = "/svc/" + random.nextInt(1000);
                } else if (pick < 8) {
                    path = "/extra/x";
                } else {
                    path = "/keyed/y";
                    key = pick == 8 ? KEY : SECOND_KEY;
                }
                if (client == null) {
                    client = new RawHttpClient(server.port());
                }
                Response response = client.send("GET " + path + " HTTP/1.1\r\nHost: gw\r\n"
                        + (key == null ? "" : "X-API-Key: " + key + "\r\n") + "\r\n").read();
                record(path, key, response);
                if ("close".equalsIgnoreCase(response.header("Connection"))) {
                    client.close();
                    client = null;
                }
            }
        } catch (Exception e) {
            error(Thread.currentThread().getName(), e);
        } finally {
            closeQuietly(client);
        }
    }

    /** Two-second requests; counts those that started under one backend and ended after the route moved. */
    private void slowClient(Map<Long, State> generations, AtomicInteger acrossRetarget) {
        RawHttpClient client = null;
        try {
            while (!stop.get()) {
                if (client == null) {
                    client = new RawHttpClient(server.port());
                }
                long startedUnder = server.configStatus().generation();
                Response response = client.send("GET /slow/z HTTP/1.1\r\nHost: gw\r\n\r\n").read();
                record("/slow/z", null, response);
                State before = generations.get(startedUnder);
                State after = generations.get(server.configStatus().generation());
                if (before != null && after != null && before.onB() != after.onB()
                        && response.bodyText().equals(before.backend())) {
                    acrossRetarget.incrementAndGet();
                }
                if ("close".equalsIgnoreCase(response.header("Connection"))) {
                    client.close();
                    client = null;
                }
            }
        } catch (Exception e) {
            error(Thread.currentThread().getName(), e);
        } finally {
            closeQuietly(client);
        }
    }

    /** Chunked uploads of 4 MiB, 64 KiB at a time with a pause between, each checked by the backend's SHA-256. */
    private void uploadClient(AtomicInteger completed) {
        try {
            while (!stop.get()) {
                try (Socket socket = connect()) {
                    OutputStream out = socket.getOutputStream();
                    out.write(("POST /stream/sha256 HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n"
                            + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    MessageDigest sha = PseudoRandomBytes.newSha256();
                    byte[] chunk = new byte[64 * 1024];
                    long total = 0;
                    for (int i = 0; i < 64; i++) {
                        ThreadLocalRandom.current().nextBytes(chunk);
                        sha.update(chunk);
                        total += chunk.length;
                        out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        out.write(chunk);
                        out.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                        out.flush();
                        Thread.sleep(40);
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                    String expected = HexFormat.of().formatHex(sha.digest()) + " " + total;
                    if (!response.startsWith("HTTP/1.1 200") || !response.endsWith(expected)) {
                        errors.add("upload: expected 200 ending '" + expected + "', got "
                                + response.substring(0, Math.min(300, response.length())));
                        return;
                    }
                    completed.incrementAndGet();
                }
            }
        } catch (Exception e) {
            error("upload", e);
        }
    }

    /** Downloads of 8 MiB read 64 KiB at a time with a pause between, each checked byte for byte. */
    private void downloadClient(AtomicInteger completed) {
        long seed = 0;
        try {
            while (!stop.get()) {
                seed++;
                long length = 8L * 1024 * 1024;
                try (Socket socket = connect()) {
                    socket.getOutputStream().write(("GET /stream/bytes?length=" + length + "&seed=" + seed
                            + "&framing=length HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    InputStream in = socket.getInputStream();
                    String head = readHead(in);
                    if (!head.startsWith("HTTP/1.1 200")) {
                        errors.add("download: " + head);
                        return;
                    }
                    MessageDigest sha = PseudoRandomBytes.newSha256();
                    byte[] buffer = new byte[64 * 1024];
                    long read = 0;
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        sha.update(buffer, 0, n);
                        read += n;
                        Thread.sleep(2);
                    }
                    String got = HexFormat.of().formatHex(sha.digest());
                    if (read != length || !got.equals(PseudoRandomBytes.sha256(seed, length))) {
                        errors.add("download " + seed + ": " + read + " of " + length + " bytes, sha " + got);
                        return;
                    }
                    completed.incrementAndGet();
                }
            }
        } catch (Exception e) {
            error("download", e);
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
        socket.setSoTimeout(15_000);
        return socket;
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            head.append((char) c);
            if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        return head.toString();
    }

    private void record(String path, String key, Response response) {
        seen.add(new Seen(response.header("X-Request-Id"), path, key, response.status(), response.bodyText()));
    }

    private static void closeQuietly(RawHttpClient client) {
        if (client != null) {
            try {
                client.close();
            } catch (IOException ignored) {
                // done anyway
            }
        }
    }

    private static void renameOver(Path file, String yaml) throws IOException {
        Path temp = Files.writeString(file.resolveSibling(".gateway.yaml.tmp"), yaml);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** The JSON access lines by request ID, once at least {@code expected} are written. */
    private static Map<String, JsonNode> accessLines(Path file, int expected) throws Exception {
        Await.until(WAIT, expected + " access lines", () -> {
            try {
                return Files.readAllLines(file).size() >= expected;
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        Map<String, JsonNode> byId = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            JsonNode node = JSON.readTree(line);
            byId.put(node.get("request_id").asString(), node);
        }
        return byId;
    }
}
