package io.gatehouse.reload;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.server.GatehouseServer;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What used to need a restart, reloaded: the listening port (bound before the swap, the old one drained; a port
 * that cannot be bound refuses the reload and changes nothing), the admin port, the backend settings, rate-limit
 * counters kept for unchanged policies, the pools of removed targets closed, and {@code server.io_threads}, which
 * still waits for a restart and says so.
 */
class ReloadEverythingIT {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private GatehouseServer server;
    private ConfigReloader reloader;
    private Path file;

    @AfterEach
    void close() {
        if (server != null) {
            server.close();
        }
    }

    private void start(String yaml) throws Exception {
        file = Files.writeString(dir.resolve("gateway.yaml"), yaml);
        server = GatehouseServer.start(ConfigLoader.load(file));
        reloader = server.reloadFrom(file);
    }

    private ReloadOutcome reload(String yaml) throws Exception {
        Files.writeString(file, yaml);
        return reloader.request("test").get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static Response get(int port, String path, String... headers) throws IOException {
        try (RawHttpClient client = new RawHttpClient(port)) {
            return client.send("GET " + path + " HTTP/1.1\r\nHost: gw\r\n" + String.join("", headers) + "\r\n")
                    .read();
        }
    }

    private static boolean refuses(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** {@code yaml} (a {@link GatewayYaml} on port 0) listening on {@code port} instead. */
    private static String onPort(int port, GatewayYaml yaml) {
        return yaml.build().replace("  port: 0\n", "  port: " + port + "\n");
    }

    @Test
    @DisplayName("A new server.port is bound before the swap; the old one finishes its requests, then stops")
    void aPortMoveBindsFirstAndDrainsTheOldListener() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (TestBackend backend = TestBackend.start((request, connection) -> {
            if (request.target().startsWith("/slow")) {
                release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
            }
            connection.respond(200, "ok");
        })) {
            start(GatewayYaml.loopback().server("watch_config: false").openRoute("/", backend.url()).build());
            int oldPort = server.port();
            int newPort = freePort();
            try (RawHttpClient keepAlive = new RawHttpClient(oldPort);
                 RawHttpClient slow = new RawHttpClient(oldPort)) {
                assertThat(keepAlive.send("GET /a HTTP/1.1\r\nHost: gw\r\n\r\n").read().header("Connection"))
                        .isNull();
                slow.send("GET /slow HTTP/1.1\r\nHost: gw\r\n\r\n");
                Await.until(WAIT, "the slow request at the backend", () -> backend.requests().size() == 2);

                ReloadOutcome moved = reload(onPort(newPort, GatewayYaml.loopback().server("watch_config: false")
                        .openRoute("/", backend.url())));

                assertThat(moved.result()).isEqualTo(ReloadOutcome.Result.SUCCESS);
                assertThat(server.port()).isEqualTo(newPort);
                // For a moment the old port still accepts (a client that looked it up just before the move), and
                // such a connection is answered, and closed.
                Response late = get(oldPort, "/late");
                assertThat(late.status()).isEqualTo(200);
                assertThat(late.header("Connection")).isEqualTo("close");
                assertThat(get(newPort, "/b").status()).isEqualTo(200);
                // The old listener's keep-alive connection gets one more answer, with Connection: close.
                Response last = keepAlive.send("GET /c HTTP/1.1\r\nHost: gw\r\n\r\n").read();
                assertThat(last.status()).isEqualTo(200);
                assertThat(last.header("Connection")).isEqualTo("close");
                assertThat(keepAlive.closedByServer()).isTrue();
                // The request in flight across the move finishes, and closes too.
                release.countDown();
                Response slowResponse = slow.read();
                assertThat(slowResponse.status()).isEqualTo(200);
                assertThat(slowResponse.header("Connection")).isEqualTo("close");
            }
            Await.until(WAIT, "the old port closed", () -> refuses(oldPort));
            assertThat(get(newPort, "/d").status()).isEqualTo(200);
            assertThat(server.configStatus().generation()).isEqualTo(2);
        }
    }

    @Test
    @DisplayName("A port that cannot be bound refuses the reload: nothing of the file takes effect")
    void aPortThatCannotBeBoundChangesNothing() throws Exception {
        try (TestBackend backend = TestBackend.start(TestBackend.ok("ok"));
             ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            start(GatewayYaml.loopback().server("watch_config: false").openRoute("/a", backend.url()).build());
            int port = server.port();
            var running = server.config();

            ReloadOutcome refused = reload(onPort(taken.getLocalPort(), GatewayYaml.loopback()
                    .server("watch_config: false").openRoute("/a", backend.url()).openRoute("/b", backend.url())));

            assertThat(refused.result()).isEqualTo(ReloadOutcome.Result.FAILURE);
            assertThat(refused.error()).startsWith("cannot listen on 127.0.0.1:" + taken.getLocalPort()
                    + " (server.host, server.port): ");
            assertThat(refused.generation()).isEqualTo(1);
            assertThat(server.config()).isSameAs(running);
            assertThat(server.port()).isEqualTo(port);
            assertThat(server.configStatus().lastError()).isEqualTo(refused.error());
            assertThat(get(port, "/b").status()).as("the refused file's route").isEqualTo(404);
            assertThat(get(port, "/a").status()).isEqualTo(200);

            // Once the port is free, asking again succeeds.
            int wanted = taken.getLocalPort();
            taken.close();
            assertThat(reloader.request("again").get(WAIT.toSeconds(), TimeUnit.SECONDS).result())
                    .isEqualTo(ReloadOutcome.Result.SUCCESS);
            assertThat(server.port()).isEqualTo(wanted);
            assertThat(get(wanted, "/b").status()).isEqualTo(200);
        }
    }

    @Test
    @DisplayName("The admin listener moves with admin.port")
    void anAdminPortMoveRebindsTheAdminListener() throws Exception {
        int adminPort = freePort();
        start(GatewayYaml.loopback().server("watch_config: false").block("admin:\n  port: 0\n")
                .openRoute("/", "http://127.0.0.1:1").build());
        int oldAdmin = server.adminPort();

        ReloadOutcome moved = reload(GatewayYaml.loopback().server("watch_config: false")
                .block("admin:\n  port: " + adminPort + "\n").openRoute("/", "http://127.0.0.1:1").build());

        assertThat(moved.result()).isEqualTo(ReloadOutcome.Result.SUCCESS);
        assertThat(server.adminPort()).isEqualTo(adminPort);
        assertThat(get(adminPort, "/config").bodyText()).contains("\"generation\":2");
        Await.until(WAIT, "the old admin port closed", () -> refuses(oldAdmin));
    }

    @Test
    @DisplayName("backend settings reload in place: pool_max_idle 0 stops pooling at once")
    void backendSettingsTakeEffectOnReload() throws Exception {
        try (TestBackend backend = TestBackend.start(TestBackend.ok("ok"))) {
            String route = backend.url();
            start(GatewayYaml.loopback().server("watch_config: false", "io_threads: 1").openRoute("/", route)
                    .build());
            for (int i = 0; i < 3; i++) {
                assertThat(get(server.port(), "/pooled").status()).isEqualTo(200);
            }
            assertThat(backend.connectionsAccepted()).as("one pooled connection").isEqualTo(1);

            assertThat(reload(GatewayYaml.loopback().server("watch_config: false", "io_threads: 1")
                    .block("backend:\n  pool_max_idle: 0\n").openRoute("/", route).build()).result())
                    .isEqualTo(ReloadOutcome.Result.SUCCESS);
            for (int i = 0; i < 3; i++) {
                assertThat(get(server.port(), "/unpooled").status()).isEqualTo(200);
            }
            // The first takes the connection still idle in the pool, which is then closed; the others need new ones.
            assertThat(backend.connectionsAccepted()).as("a connection per request").isEqualTo(3);
        }
    }

    @Test
    @DisplayName("A target no upstream has any more: its idle pooled connections are closed")
    void theIdleConnectionsOfARemovedTargetAreClosed() throws Exception {
        try (TestBackend removed = TestBackend.start(TestBackend.ok("old"));
             TestBackend kept = TestBackend.start(TestBackend.ok("new"))) {
            // One event loop: every client connection shares one pool per target.
            start(GatewayYaml.loopback().server("watch_config: false", "io_threads: 1")
                    .openRoute("/old", removed.url()).openRoute("/new", kept.url()).build());
            assertThat(get(server.port(), "/old").bodyText()).isEqualTo("old");
            assertThat(get(server.port(), "/new").bodyText()).isEqualTo("new");

            reload(GatewayYaml.loopback().server("watch_config: false", "io_threads: 1")
                    .openRoute("/new", kept.url()).build());

            Await.until(WAIT, "the removed target's connection closed",
                    () -> removed.connections().get(0).closedByPeer());
            assertThat(kept.connections().get(0).closedByPeer()).as("a target that stays keeps its pool").isFalse();
            assertThat(get(server.port(), "/new").bodyText()).isEqualTo("new");
            assertThat(kept.connectionsAccepted()).isEqualTo(1);
        }
    }

    @Test
    @DisplayName("Counters of a policy that did not change are kept across a file reload")
    void unchangedPoliciesKeepTheirCounters() throws Exception {
        try (TestBackend backend = TestBackend.start(TestBackend.ok("ok"))) {
            String key = "X-API-Key: " + GatewayYaml.KEY + "\r\n";
            GatewayYaml first = GatewayYaml.loopback().server("watch_config: false")
                    .key(GatewayYaml.KEY, GatewayYaml.CLIENT, 3).route("/api", backend.url());
            start(first.build());
            assertThat(get(server.port(), "/api/1", key).status()).isEqualTo(200);
            assertThat(get(server.port(), "/api/2", key).status()).isEqualTo(200);

            assertThat(reload(GatewayYaml.loopback().server("watch_config: false")
                    .key(GatewayYaml.KEY, GatewayYaml.CLIENT, 3).route("/api", backend.url())
                    .openRoute("/open", backend.url()).build()).result()).isEqualTo(ReloadOutcome.Result.SUCCESS);

            assertThat(get(server.port(), "/api/3", key).status()).isEqualTo(200);
            assertThat(get(server.port(), "/api/4", key).status()).as("the fourth of 3").isEqualTo(429);

            assertThat(reload(GatewayYaml.loopback().server("watch_config: false")
                    .key(GatewayYaml.KEY, GatewayYaml.CLIENT, 4).route("/api", backend.url()).build()).result())
                    .isEqualTo(ReloadOutcome.Result.SUCCESS);
            assertThat(get(server.port(), "/api/5", key).status()).as("a changed limit starts afresh")
                    .isEqualTo(200);
        }
    }

    @Test
    @DisplayName("A reloaded header_timeout applies to an open keep-alive connection from its next request")
    void aReloadedHeaderTimeoutAppliesToTheNextRequestOfAnOpenConnection() throws Exception {
        try (TestBackend backend = TestBackend.start(TestBackend.ok("ok"))) {
            start(GatewayYaml.loopback().server("watch_config: false", "header_timeout: 60s")
                    .openRoute("/", backend.url()).build());
            try (RawHttpClient client = new RawHttpClient(server.port())) {
                assertThat(client.send("GET /a HTTP/1.1\r\nHost: gw\r\n\r\n").read().status()).isEqualTo(200);

                assertThat(reload(GatewayYaml.loopback().server("watch_config: false", "header_timeout: 300ms")
                        .openRoute("/", backend.url()).build()).result()).isEqualTo(ReloadOutcome.Result.SUCCESS);

                // Half a head: the old 60 s would outlast the client's 15 s read timeout; the new 300 ms does not.
                Response timedOut = client.send("GET /b HTTP/1.1\r\nHost: gw\r\n").read();
                assertThat(timedOut.status()).isEqualTo(408);
                assertThat(timedOut.bodyText()).isEqualTo("{\"error\":\"Request header timeout\"}");
            }
        }
    }

    @Test
    @DisplayName("A reloaded idle_timeout applies to an open keep-alive connection from its next request")
    void aReloadedIdleTimeoutAppliesToTheNextRequestOfAnOpenConnection() throws Exception {
        try (TestBackend backend = TestBackend.start(TestBackend.ok("ok"))) {
            start(GatewayYaml.loopback().server("watch_config: false", "idle_timeout: 60s")
                    .openRoute("/", backend.url()).build());
            try (RawHttpClient client = new RawHttpClient(server.port())) {
                assertThat(client.send("GET /a HTTP/1.1\r\nHost: gw\r\n\r\n").read().status()).isEqualTo(200);

                assertThat(reload(GatewayYaml.loopback().server("watch_config: false", "idle_timeout: 300ms")
                        .openRoute("/", backend.url()).build()).result()).isEqualTo(ReloadOutcome.Result.SUCCESS);
                assertThat(client.send("GET /b HTTP/1.1\r\nHost: gw\r\n\r\n").read().status()).isEqualTo(200);

                // Idle from here: the old 60 s would outlast the client's 15 s read; the new 300 ms closes it.
                assertThat(client.closedByServer()).isTrue();
            }
        }
    }

    @Test
    @DisplayName("server.io_threads waits for a restart: the rest reloads, /config names the key")
    void ioThreadsWaitsForARestartAndSaysSo() throws Exception {
        try (TestBackend backend = TestBackend.start(TestBackend.ok("ok"))) {
            start(GatewayYaml.loopback().server("watch_config: false", "io_threads: 1")
                    .openRoute("/a", backend.url()).build());

            ReloadOutcome outcome = reload(GatewayYaml.loopback().server("watch_config: false", "io_threads: 2")
                    .openRoute("/a", backend.url()).openRoute("/b", backend.url()).build());

            assertThat(outcome.result()).isEqualTo(ReloadOutcome.Result.SUCCESS);
            assertThat(get(server.port(), "/b").status()).isEqualTo(200);
            assertThat(server.configStatus().pendingRestart()).containsExactly("server.io_threads");
            assertThat(reload("routes: [").result()).isEqualTo(ReloadOutcome.Result.FAILURE);
            assertThat(server.configStatus().pendingRestart()).as("a refused file changes nothing of it")
                    .containsExactly("server.io_threads");

            reload(GatewayYaml.loopback().server("watch_config: false", "io_threads: 1")
                    .openRoute("/a", backend.url()).build());
            assertThat(server.configStatus().pendingRestart()).as("back to what runs").isEmpty();
        }
    }
}
