package io.gatehouse.security;

import io.gatehouse.testing.Await;
import io.gatehouse.testing.ForkedGateway;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Rows C1, C2, D1 and D2 of {@code SECURITY-CASES.md}: configuration and lifecycle, against the packaged jar run as
 * its own process — a broken config at start, SIGHUP reloads (refused, applied, under traffic), the SIGTERM drain,
 * the drain deadline and a second SIGTERM. Every wait is on a log line, a backend event or a socket state, with a
 * generous deadline; nothing relies on a fixed sleep.
 */
class LifecycleCasesIT {

    private static final Duration LOG_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration EVENT_TIMEOUT = Duration.ofSeconds(20);

    /** The API key in every config here; no output may ever contain it. */
    private static final String SECRET = "key_live_lifecycle_s3cret";

    @Test
    @DisplayName("C1 a broken gateway.yaml at start exits 2 before binding, naming file, line and key, and no secret")
    void brokenConfigAtStartExitsTwoBeforeBindingWithoutSecrets() throws IOException {
        // The configured port is held here: a gateway that bound before validating would fail with "in use".
        try (ServerSocket held = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ForkedGateway run = ForkedGateway.launch("""
                     server:
                       host: 127.0.0.1
                       port: %d
                     auth:
                       keys:
                         - key: %s
                           name: mobile-app
                           rate_limit: 100
                         - key: key_live_half s3cret
                           name: web
                           rate_limit: 100
                     routes:
                       - prefix: /api/users
                         upstream: http://127.0.0.1:9
                         timeout: 10sec
                     """.formatted(held.getLocalPort(), SECRET), List.of())) {
            assertThat(run.awaitExit(Duration.ofSeconds(60))).as("exit code; output:%n%s", run.describeOutput())
                    .isEqualTo(2);
            Path file = run.configFile();
            List<String> lines = run.stderr().lines().toList();
            assertThat(lines).as("one file:line:col line per problem")
                    .anyMatch(line -> line.startsWith(file + ":9:12: ") && line.endsWith(" (at /auth/keys/1/key)"))
                    .contains(file + ":15:14: timeout: invalid duration '10sec'; write a whole number followed by"
                            + " ms, s, m or h, like 250ms, 10s, 5m or 1h (at /routes/0/timeout)");
            String output = run.stdout() + run.stderr();
            assertThat(output).doesNotContain("listening on", "in use", "cannot start", "Exception", "\tat ");
            assertThat(output).as("neither the valid key nor the invalid one is printed")
                    .doesNotContain("key_live", "s3cret");
        }
    }

    @Test
    @DisplayName("C2 a broken file on SIGHUP is refused with file:line:col and the running config keeps serving")
    void brokenFileOnReloadIsRefusedAndTheRunningConfigKeepsServing() throws IOException {
        try (TestBackend backend = TestBackend.start(TestBackend.ok("old-route"));
             ForkedGateway gateway = ForkedGateway.start(config("30s", route("/api/old", backend)))) {
            assertThat(get(gateway.port(), "/api/old").status()).isEqualTo(200);

            // Line 16 is the new route's upstream, written with a typo in its key.
            gateway.rewriteConfig(config("30s", route("/api/old", backend),
                    route("/api/new", backend).replace("upstream:", "upstreem:")));
            gateway.signal("HUP");
            gateway.awaitStderrLine("reload refused, the running config is kept", 1, LOG_TIMEOUT);
            gateway.awaitStderrLine(gateway.configFile() + ":16:5: unknown key 'upstreem'", 1, LOG_TIMEOUT);

            RawHttpClient.Response old = get(gateway.port(), "/api/old");
            assertThat(old.status()).as("a route that existed still works").isEqualTo(200);
            assertThat(old.bodyText()).isEqualTo("old-route");
            assertThat(get(gateway.port(), "/api/new").status()).as("a route only the broken file has").isEqualTo(404);

            assertThat(gateway.stop()).isZero();
            assertThat(gateway.stderr()).doesNotContain("config reloaded", "Exception");
            assertThat(gateway.stdout() + gateway.stderr()).doesNotContain(SECRET);
        }
    }

    @Test
    @DisplayName("C2 a valid file on SIGHUP adds a route for the requests that follow the reload line")
    void validFileOnReloadAddsARoute() throws IOException {
        try (TestBackend oldBackend = TestBackend.start(TestBackend.ok("old-route"));
             TestBackend newBackend = TestBackend.start(TestBackend.ok("new-route"));
             ForkedGateway gateway = ForkedGateway.start(config("30s", route("/api/old", oldBackend)))) {
            assertThat(get(gateway.port(), "/api/new").status()).as("before the reload").isEqualTo(404);

            gateway.rewriteConfig(config("30s", route("/api/old", oldBackend), route("/api/new", newBackend)));
            gateway.signal("HUP");
            assertThat(gateway.awaitStderrLine("config reloaded from", 1, LOG_TIMEOUT))
                    .contains(gateway.configFile().toString(), "(2 routes, 1 API keys)");

            RawHttpClient.Response added = get(gateway.port(), "/api/new");
            assertThat(added.status()).isEqualTo(200);
            assertThat(added.bodyText()).isEqualTo("new-route");
            assertThat(get(gateway.port(), "/api/old").bodyText()).isEqualTo("old-route");

            assertThat(gateway.stop()).isZero();
            assertThat(gateway.stderr()).doesNotContain("reload refused", "take effect after a restart");
            assertThat(gateway.stdout() + gateway.stderr()).doesNotContain(SECRET);
        }
    }

    @Test
    @DisplayName("C2 reloads during keep-alive traffic drop nothing, and a request in flight finishes on its old route")
    void reloadsDuringTrafficDropNothing() throws Exception {
        CountDownLatch releaseSlow = new CountDownLatch(1);
        try (TestBackend steadyA = TestBackend.start(TestBackend.ok("a"));
             TestBackend steadyB = TestBackend.start(TestBackend.ok("b"));
             TestBackend slowOld = TestBackend.start((request, connection) -> {
                 releaseSlow.await(EVENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                 connection.respond(200, "slow-old", "Content-Type: text/plain");
             });
             TestBackend slowNew = TestBackend.start(TestBackend.ok("slow-new"));
             ForkedGateway gateway = ForkedGateway.start(generation(0, steadyA, steadyB, slowOld, slowNew));
             RawHttpClient inFlight = new RawHttpClient(gateway.port())) {
            int port = gateway.port();
            inFlight.send(request("/api/slow"));
            Await.until(EVENT_TIMEOUT, "the slow request at its backend", () -> slowOld.requests().size() == 1);

            int clients = 3;
            AtomicBoolean running = new AtomicBoolean(true);
            List<AtomicInteger> served = new ArrayList<>();
            List<String> failures = new CopyOnWriteArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                AtomicInteger count = new AtomicInteger();
                served.add(count);
                Thread thread = new Thread(() -> keepAliveTraffic(port, running, count, failures), "traffic-" + i);
                threads.add(thread);
                thread.start();
            }
            try {
                awaitEveryClientServed(served, 20, failures);
                for (int generation = 1; generation <= 3; generation++) {
                    gateway.rewriteConfig(generation(generation, steadyA, steadyB, slowOld, slowNew));
                    gateway.signal("HUP");
                    gateway.awaitStderrLine("config reloaded from", generation, LOG_TIMEOUT);
                    assertThat(get(port, "/api/v" + generation).status()).as("generation %d's own route", generation)
                            .isEqualTo(200);
                    awaitEveryClientServed(served, 20, failures);
                }
            } finally {
                running.set(false);
                for (Thread thread : threads) {
                    thread.join(EVENT_TIMEOUT.toMillis());
                }
            }
            assertThat(failures).as("requests that did not get a 200").isEmpty();
            assertThat(steadyB.requests()).as("the reloaded upstream took traffic").isNotEmpty();

            releaseSlow.countDown();
            RawHttpClient.Response slow = inFlight.read();
            assertThat(slow.status()).isEqualTo(200);
            assertThat(slow.bodyText()).as("finished on the route it started on").isEqualTo("slow-old");
            assertThat(get(port, "/api/slow").bodyText()).as("a new request takes the new route").isEqualTo("slow-new");

            assertThat(gateway.stop()).isZero();
            assertThat(gateway.stderr()).doesNotContain("reload refused", "Exception");
            assertThat(gateway.stdout()).as("no request answered 5xx").doesNotContainPattern(" -> 5\\d\\d ");
        }
    }

    @Test
    @DisplayName("D1 SIGTERM refuses new connections, closes idle ones, finishes the request in flight and exits 0")
    void sigtermDrainsAndExitsZero() throws Exception {
        CountDownLatch releaseSlow = new CountDownLatch(1);
        try (TestBackend fast = TestBackend.start(TestBackend.ok("fast"));
             TestBackend slow = TestBackend.start((request, connection) -> {
                 releaseSlow.await(EVENT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                 connection.respond(200, "slow", "Content-Type: text/plain");
             });
             ForkedGateway gateway = ForkedGateway.start(config("30s", route("/api/fast", fast),
                     route("/api/slow", slow)));
             RawHttpClient idle = new RawHttpClient(gateway.port());
             RawHttpClient inFlight = new RawHttpClient(gateway.port())) {
            int port = gateway.port();
            RawHttpClient.Response first = idle.send(request("/api/fast")).read();
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.header("Connection")).as("kept alive before the signal").isNull();
            inFlight.send(request("/api/slow"));
            Await.until(EVENT_TIMEOUT, "the slow request at its backend", () -> slow.requests().size() == 1);

            gateway.signal("TERM");
            gateway.awaitStderrLine("SIGTERM: draining (up to 30s)", 1, LOG_TIMEOUT);

            // The backend still holds the request in flight all through these checks.
            assertThat(idle.timeout((int) EVENT_TIMEOUT.toMillis()).closedByServer())
                    .as("the idle keep-alive connection is closed").isTrue();
            Await.until(EVENT_TIMEOUT, "the listening socket to close", () -> connectionRefused(port));
            for (int i = 0; i < 3; i++) {
                assertThat(connectionRefused(port)).as("connect #%d after the listener closed", i).isTrue();
            }
            assertThat(slow.requests()).hasSize(1);

            releaseSlow.countDown();
            RawHttpClient.Response response = inFlight.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("slow");
            assertThat(response.header("Connection")).isEqualTo("close");
            assertThat(inFlight.closedByServer()).isTrue();

            assertThat(gateway.awaitExit(EXIT_TIMEOUT)).as("exit code; output:%n%s", gateway.describeOutput())
                    .isZero();
            gateway.assertNoFailureReported();
            String requestId = response.header("X-Request-Id");
            assertThat(gateway.stdout().lines()).as("the access line of the request in flight")
                    .anyMatch(line -> line.contains("GET /api/slow -> 200 ") && line.contains("request_id=" + requestId));
            assertThat(gateway.stderr()).contains("stopped").doesNotContain("cut at the deadline", "Exception");
        }
    }

    @Test
    @DisplayName("D2 a stream still running at the deadline is cut at about the deadline and counted; exit 0")
    void streamRunningAtTheDeadlineIsCutAndCounted() throws Exception {
        try (TestBackend stream = TestBackend.start((request, connection) -> {
                 connection.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
                 long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
                 while (System.nanoTime() - end < 0) {
                     connection.write("5\r\ntick\n\r\n"); // fails once the gateway cuts the stream
                     Thread.sleep(100);
                 }
                 connection.write("0\r\n\r\n");
             });
             ForkedGateway gateway = ForkedGateway.start(config("1s", route("/api/stream", stream)));
             RawHttpClient client = new RawHttpClient(gateway.port())) {
            client.send(request("/api/stream"));
            assertThat(client.readHead().status()).isEqualTo(200);
            InputStream in = client.input();
            assertThat(in.read()).as("the stream has started").isNotEqualTo(-1);

            long signalled = System.nanoTime();
            gateway.signal("TERM");
            gateway.awaitStderrLine("SIGTERM: draining (up to 1s)", 1, LOG_TIMEOUT);
            byte[] rest = readUntilClosed(client.timeout((int) EVENT_TIMEOUT.toMillis()).input());
            long cutAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);

            assertThat(new String(rest, StandardCharsets.ISO_8859_1)).as("the stream kept flowing while draining")
                    .contains("tick").as("no clean end of the chunked body").doesNotContain("\r\n0\r\n\r\n");
            assertThat(cutAfterMillis).as("cut at about the 1 s deadline, counted from the signal")
                    .isBetween(950L, 15_000L);
            assertThat(gateway.awaitExit(EXIT_TIMEOUT)).as("exit code; output:%n%s", gateway.describeOutput())
                    .isZero();
            gateway.assertNoFailureReported();
            assertThat(gateway.stderr()).contains("stopped; 1 connection(s) cut at the deadline");
            assertThat(gateway.stdout().lines()).as("the cut stream's access line, flushed before the exit")
                    .anyMatch(line -> line.contains("GET /api/stream -> 200 ")
                            && line.contains("error=\"connection closed before the response was complete\""));
        }
    }

    @Test
    @DisplayName("D2 a second SIGTERM during a long drain exits 1 at once")
    void secondSigtermExitsAtOnce() throws Exception {
        try (TestBackend hanging = TestBackend.start((request, connection) ->
                     connection.awaitPeerClose(Duration.ofSeconds(90)));
             ForkedGateway gateway = ForkedGateway.start(config("30s",
                     route("/api/hang", hanging) + "    timeout: 60s\n"));
             RawHttpClient client = new RawHttpClient(gateway.port())) {
            client.send(request("/api/hang"));
            Await.until(EVENT_TIMEOUT, "the request at its backend", () -> hanging.requests().size() == 1);

            gateway.signal("TERM");
            gateway.awaitStderrLine("SIGTERM: draining (up to 30s)", 1, LOG_TIMEOUT);
            long second = System.nanoTime();
            gateway.signal("TERM");
            assertThat(gateway.awaitExit(EXIT_TIMEOUT)).as("exit code; output:%n%s", gateway.describeOutput())
                    .isEqualTo(1);
            long exitedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - second);

            assertThat(exitedAfterMillis).as("well before the 30 s drain deadline").isLessThan(10_000L);
            assertThat(gateway.stderr()).contains("gatehouse: second SIGTERM, exiting now")
                    .doesNotContain("stopped");
            gateway.assertNoFailureReported();
        }
    }

    // --- configs ---

    private static String config(String shutdownTimeout, String... routes) {
        return """
                server:
                  host: 127.0.0.1
                  port: 0
                  shutdown_timeout: %s
                  watch_config: false
                auth:
                  keys:
                    - key: %s
                      name: ops
                      rate_limit: 100
                routes:
                %s""".formatted(shutdownTimeout, SECRET, String.join("", routes));
    }

    private static String route(String prefix, TestBackend backend) {
        return """
                  - prefix: %s
                    upstream: %s
                    auth: none
                """.formatted(prefix, backend.url());
    }

    /**
     * The config after {@code generation} reloads: {@code /api/steady} alternates between two backends,
     * {@code /api/slow} moves to another backend after the first, and each generation adds a route of its own.
     */
    private static String generation(int generation, TestBackend steadyA, TestBackend steadyB, TestBackend slowOld,
                                     TestBackend slowNew) {
        List<String> routes = new ArrayList<>();
        routes.add(route("/api/steady", generation % 2 == 0 ? steadyA : steadyB));
        routes.add(route("/api/slow", generation == 0 ? slowOld : slowNew));
        for (int g = 1; g <= generation; g++) {
            routes.add(route("/api/v" + g, steadyA));
        }
        return config("30s", routes.toArray(String[]::new));
    }

    // --- clients ---

    private static String request(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: gatehouse\r\n\r\n";
    }

    /** One request on a fresh connection. */
    private static RawHttpClient.Response get(int port, String path) throws IOException {
        try (RawHttpClient client = new RawHttpClient(port)) {
            return client.send("GET " + path + " HTTP/1.1\r\nHost: gatehouse\r\nConnection: close\r\n\r\n").read();
        }
    }

    /**
     * Sends {@code GET /api/steady} back to back on one keep-alive connection until {@code running} turns false,
     * opening a new connection only when the gateway answered with {@code Connection: close}. Anything but a 200
     * is a failure.
     */
    private static void keepAliveTraffic(int port, AtomicBoolean running, AtomicInteger served, List<String> failures) {
        RawHttpClient client = null;
        try {
            while (running.get()) {
                if (client == null) {
                    client = new RawHttpClient(port);
                }
                RawHttpClient.Response response = client.send(request("/api/steady")).read();
                if (response.status() != 200) {
                    failures.add("status " + response.status() + ": " + response.bodyText());
                }
                served.incrementAndGet();
                if ("close".equalsIgnoreCase(response.header("Connection"))) {
                    client.close();
                    client = null;
                }
            }
        } catch (IOException | RuntimeException e) {
            failures.add(Thread.currentThread().getName() + " after " + served.get() + " responses: " + e);
        } finally {
            if (client != null) {
                try {
                    client.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
        }
    }

    /** Waits until every client has had {@code more} responses beyond its count now. */
    private static void awaitEveryClientServed(List<AtomicInteger> served, int more, List<String> failures) {
        int[] targets = served.stream().mapToInt(count -> count.get() + more).toArray();
        Await.until(EVENT_TIMEOUT, "traffic on every client connection", () -> {
            if (!failures.isEmpty()) {
                throw new AssertionError("requests failed: " + failures);
            }
            for (int i = 0; i < targets.length; i++) {
                if (served.get(i).get() < targets[i]) {
                    return false;
                }
            }
            return true;
        });
    }

    /**
     * True when a new connection to {@code port} is refused, or accepted only to be closed without an answer. A
     * connection that is served means the listener was still open: false.
     */
    private static boolean connectionRefused(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(request("/api/fast").getBytes(StandardCharsets.ISO_8859_1));
            return socket.getInputStream().read() == -1;
        } catch (ConnectException e) {
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    /** Reads until the peer closes or resets the connection; fails if it stays open past the socket timeout. */
    private static byte[] readUntilClosed(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = in.read(buffer)) != -1) {
                bytes.write(buffer, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the stream was not cut within the socket timeout", e);
        } catch (IOException e) {
            // a reset ends the stream too
        }
        return bytes.toByteArray();
    }
}
