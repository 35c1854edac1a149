package io.gatehouse;

import io.gatehouse.testing.Await;
import io.gatehouse.testing.ForkedGateway;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.Scrape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The process with an admin port and a JSON access log: SIGHUP with a broken file shows on {@code /config} and in
 * {@code gatehouse_config_reloads_total}; a good one bumps the generation; SIGTERM writes the log out.
 */
class OperationsCliIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static String yaml(Path log) {
        // SIGHUP alone: the file is not watched, so each reload here is the signal's.
        return GatewayYaml.standard().server("watch_config: false").block("admin:\n  port: 0\n")
                .block("access_log:\n  format: json\n  path: " + log + "\n")
                .openRoute("/open", "http://127.0.0.1:1").build();
    }

    private static String adminGet(int port, String path) throws Exception {
        try (RawHttpClient client = new RawHttpClient(port)) {
            client.send("GET " + path + " HTTP/1.1\r\nHost: admin\r\n\r\n");
            return client.read().bodyText();
        }
    }

    private static String sha256(String text) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void reportsReloadsOnTheAdminPortAndWritesTheJsonLogOutAtShutdown() throws Exception {
        Path log = dir.resolve("access.json");
        String first = yaml(log);
        try (ForkedGateway gateway = ForkedGateway.start(first)) {
            String line = gateway.awaitStderrLine("admin listener on", 1, WAIT);
            int admin = Integer.parseInt(line.substring(line.lastIndexOf(':') + 1).trim());
            assertThat(adminGet(admin, "/config")).contains("\"generation\":1", "\"sha256\":\"" + sha256(first));

            gateway.rewriteConfig(first + "server:\n  port: nope\n");
            gateway.signal("HUP");
            gateway.awaitStderrLine("reload refused", 1, WAIT);
            Await.until(WAIT, "the failure on /config", () -> {
                try {
                    return adminGet(admin, "/config").contains("\"last_reload_error\":{");
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(adminGet(admin, "/config")).contains("\"generation\":1",
                    ".yaml:19:1: duplicate key 'server', first written on line 1 (at /server)");
            assertThat(Scrape.of(admin).value("gatehouse_config_reloads_total", "result", "failure")).isEqualTo(1);

            String second = first.replace("/open", "/other");
            gateway.rewriteConfig(second);
            gateway.signal("HUP");
            gateway.awaitStderrLine("config reloaded", 1, WAIT);
            assertThat(adminGet(admin, "/config")).contains("\"generation\":2", "\"sha256\":\"" + sha256(second),
                    "\"last_reload_error\":null");
            assertThat(Scrape.of(admin).value("gatehouse_config_generation")).isEqualTo(2);

            for (int i = 0; i < 5; i++) {
                try (RawHttpClient client = new RawHttpClient(gateway.port())) {
                    client.send("GET /health HTTP/1.1\r\nHost: gw\r\n\r\n");
                    assertThat(client.read().status()).isEqualTo(200);
                }
            }
            assertThat(gateway.stop()).isZero();
        }
        List<String> lines = Files.readAllLines(log);
        assertThat(lines).hasSize(5).allSatisfy(l -> assertThat(l).startsWith("{\"ts\":\"").contains(
                "\"path\":\"/health\"", "\"status\":200"));
    }
}
