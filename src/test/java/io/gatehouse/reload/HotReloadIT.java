package io.gatehouse.reload;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.server.GatehouseServer;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.Scrape;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A gateway in this JVM reloading its own file, over real sockets: the triggers (the watch, {@code POST /reload}),
 * what counts as a change, and what a refused file leaves running.
 */
class HotReloadIT {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private TestBackend backend;
    private GatehouseServer server;
    private ConfigReloader reloader;

    @BeforeEach
    void startBackend() {
        backend = TestBackend.start(TestBackend.ok("ok"));
    }

    @AfterEach
    void close() {
        if (server != null) {
            server.close();
        }
        backend.close();
    }

    /** A config with an admin port and an open route per prefix; an item with {@code ": "} is a server line. */
    private String yaml(String... items) {
        GatewayYaml yaml = GatewayYaml.loopback().block("admin:\n  host: 127.0.0.1\n  port: 0\n");
        for (String item : items) {
            if (item.contains(": ")) {
                yaml.server(item);
            } else {
                yaml.openRoute(item, backend.url());
            }
        }
        return yaml.build();
    }

    private void start(Path file) throws Exception {
        server = GatehouseServer.start(ConfigLoader.load(file));
        reloader = server.reloadFrom(file);
    }

    /** How editors save: a temporary file beside it, renamed over it. */
    private static void renameOver(Path file, String yaml) throws IOException {
        Path temp = Files.writeString(file.resolveSibling("." + file.getFileName() + ".tmp"), yaml);
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private int status(String path) throws IOException {
        try (RawHttpClient client = new RawHttpClient(server.port())) {
            return client.send("GET " + path + " HTTP/1.1\r\nHost: gw\r\n\r\n").read().status();
        }
    }

    private Response admin(String raw) throws IOException {
        try (RawHttpClient client = new RawHttpClient(server.adminPort())) {
            return client.send(raw).read();
        }
    }

    private Response postReload() throws IOException {
        return admin("POST /reload HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\n\r\n");
    }

    private double reloads(String result) {
        return Scrape.of(server.adminPort()).value("gatehouse_config_reloads_total", "result", result);
    }

    @Test
    @DisplayName("A file renamed over the config is reloaded without a signal")
    void aRenameOverTheFileIsReloaded() throws Exception {
        Path file = Files.writeString(dir.resolve("gateway.yaml"), yaml("/a"));
        start(file);
        assertThat(status("/b")).isEqualTo(404);

        renameOver(file, yaml("/a", "/b"));

        Await.until(WAIT, "the new route served", () -> server.config().routes().routes().size() == 2);
        assertThat(status("/b")).isEqualTo(200);
        assertThat(server.configStatus().generation()).isEqualTo(2);
        assertThat(server.configStatus().sha256()).isEqualTo(ConfigLoader.sha256(yaml("/a", "/b")));
        assertThat(reloads("success")).isEqualTo(1);
    }

    @Test
    @DisplayName("Saving the file with the running content is not a reload")
    void anUnchangedSaveIsNotAReload() throws Exception {
        String text = yaml("/a");
        Path file = Files.writeString(dir.resolve("gateway.yaml"), text);
        start(file);
        var running = server.config();

        Files.writeString(file, text);

        Await.until(WAIT, "the save looked at", () -> reloads("unchanged") >= 1);
        assertThat(server.config()).as("the very same snapshot").isSameAs(running);
        assertThat(server.configStatus().generation()).isEqualTo(1);
        assertThat(reloads("success")).isZero();
    }

    @Test
    @DisplayName("A Kubernetes ConfigMap update (the ..data symlink flip) is reloaded")
    void aConfigMapSymlinkFlipIsReloaded() throws Exception {
        Path v1 = Files.createDirectory(dir.resolve("..2026_12_03_01"));
        Files.writeString(v1.resolve("gateway.yaml"), yaml("/a"));
        Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
        Path file = Files.createSymbolicLink(dir.resolve("gateway.yaml"), Path.of("..data", "gateway.yaml"));
        start(file);

        Path v2 = Files.createDirectory(dir.resolve("..2026_12_03_02"));
        Files.writeString(v2.resolve("gateway.yaml"), yaml("/a", "/k8s"));
        Path tmp = Files.createSymbolicLink(dir.resolve("..data_tmp"), v2.getFileName());
        Files.move(tmp, dir.resolve("..data"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        Await.until(WAIT, "the flipped config served", () -> server.configStatus().generation() == 2);
        assertThat(status("/k8s")).isEqualTo(200);
    }

    @Test
    @DisplayName("A file that does not validate changes nothing; /config and the metrics show the error")
    void anInvalidFileChangesNothingAndIsReported() throws Exception {
        Path file = Files.writeString(dir.resolve("gateway.yaml"), yaml("/a"));
        start(file);
        var running = server.config();

        renameOver(file, yaml("/a", "/b").replace("prefix: /b", "prefix: b"));

        Await.until(WAIT, "the refusal recorded", () -> reloads("failure") == 1);
        assertThat(server.config()).isSameAs(running);
        assertThat(status("/a")).isEqualTo(200);
        String config = admin("GET /config HTTP/1.1\r\nHost: admin\r\n\r\n").bodyText();
        assertThat(config).contains("\"generation\":1", "\"last_reload_error\":{", file + ":");
        assertThat(config).containsPattern("gateway\\.yaml:\\d+:\\d+: ");
    }

    @Test
    @DisplayName("POST /reload on the admin port: success, unchanged, refused with the error, and only POST")
    void postReloadReportsEachOutcome() throws Exception {
        Path file = Files.writeString(dir.resolve("gateway.yaml"), yaml("watch_config: false", "/a"));
        start(file);

        Response unchanged = postReload();
        assertThat(unchanged.status()).isEqualTo(200);
        assertThat(unchanged.bodyText()).startsWith("{\"result\":\"unchanged\",\"generation\":1,");

        Files.writeString(file, yaml("watch_config: false", "/a", "/b"));
        Response success = postReload();
        assertThat(success.status()).isEqualTo(200);
        assertThat(success.header("Content-Type")).isEqualTo("application/json");
        assertThat(success.bodyText()).isEqualTo("{\"result\":\"success\",\"generation\":2,\"sha256\":\""
                + ConfigLoader.sha256(yaml("watch_config: false", "/a", "/b")) + "\"}");
        assertThat(status("/b")).isEqualTo(200);

        Files.writeString(file, "routes: [");
        Response refused = postReload();
        assertThat(refused.status()).isEqualTo(422);
        assertThat(refused.bodyText()).startsWith("{\"result\":\"failure\",\"generation\":2,")
                .contains("\"error\":\"" + file + ":");
        assertThat(status("/b")).isEqualTo(200);

        Response get = admin("GET /reload HTTP/1.1\r\nHost: admin\r\n\r\n");
        assertThat(get.status()).isEqualTo(405);
        assertThat(get.header("Allow")).isEqualTo("POST");
        assertThat(get.bodyText()).isEqualTo("{\"error\":\"Method not allowed\"}");
        assertThat(reloads("success")).isEqualTo(1);
        assertThat(reloads("failure")).isEqualTo(1);
        assertThat(reloads("unchanged")).isEqualTo(1);
    }

    @Test
    @DisplayName("Ten POST /reload at once: every one answered, one reload done, the rest find it unchanged")
    void concurrentReloadRequestsShareTheWork() throws Exception {
        Path file = Files.writeString(dir.resolve("gateway.yaml"), yaml("watch_config: false", "/a"));
        start(file);
        Files.writeString(file, yaml("watch_config: false", "/a", "/b"));

        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(10);
        try {
            java.util.List<java.util.concurrent.Future<Response>> answers = new java.util.ArrayList<>();
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            for (int i = 0; i < 10; i++) {
                answers.add(pool.submit(() -> {
                    go.await();
                    return postReload();
                }));
            }
            go.countDown();
            int success = 0;
            for (java.util.concurrent.Future<Response> answer : answers) {
                Response response = answer.get(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.bodyText()).contains("\"generation\":2,");
                success += response.bodyText().startsWith("{\"result\":\"success\"") ? 1 : 0;
            }
            assertThat(success).as("answered by the one reload that applied the file").isPositive();
        } finally {
            pool.shutdownNow();
        }
        assertThat(server.configStatus().generation()).isEqualTo(2);
        assertThat(reloads("success")).isEqualTo(1);
    }

    @Test
    @DisplayName("watch_config: false watches nothing; a reload that turns it on starts the watch")
    void watchConfigTurnsTheWatchOnAndOff() throws Exception {
        Path file = Files.writeString(dir.resolve("gateway.yaml"), yaml("watch_config: false", "/a"));
        start(file);
        assertThat(reloader.watching()).isFalse();

        Files.writeString(file, yaml("watch_config: true", "/a", "/b"));
        assertThat(postReload().bodyText()).startsWith("{\"result\":\"success\",\"generation\":2,");
        assertThat(reloader.watching()).isTrue();

        renameOver(file, yaml("watch_config: true", "/a", "/b", "/c"));
        Await.until(WAIT, "the watched change served", () -> server.configStatus().generation() == 3);
        assertThat(status("/c")).isEqualTo(200);

        renameOver(file, yaml("watch_config: false", "/a"));
        Await.until(WAIT, "the watch turned off", () -> server.configStatus().generation() == 4);
        assertThat(reloader.watching()).isFalse();
    }
}
