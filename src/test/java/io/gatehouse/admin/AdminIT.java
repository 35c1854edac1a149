package io.gatehouse.admin;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/** The admin listener's endpoints, and that the client port never answers them. */
class AdminIT {

    private GatewayFixture gateway;
    private String yaml;

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private void start() {
        gateway = GatewayFixture.withBackend(TestBackend.ok("from-backend")).start(url -> {
            GatewayYaml built = GatewayYaml.standard().block("admin:\n  port: 0\n").route("/api", url)
                    .openRoute("/", url);
            yaml = built.build();
            return built;
        });
    }

    private Response admin(String raw) throws Exception {
        try (RawHttpClient client = new RawHttpClient(gateway.gateway().server().adminPort())) {
            client.send(raw);
            return client.read(raw.startsWith("HEAD"));
        }
    }

    private Response adminGet(String path, String... headers) throws Exception {
        return admin("GET " + path + " HTTP/1.1\r\nHost: admin\r\n" + String.join("", headers) + "\r\n");
    }

    @Test
    void answersProbesAndConfigAndNotFoundAsJson() throws Exception {
        start();
        assertThat(adminGet("/live").status()).isEqualTo(200);
        Response ready = adminGet("/ready");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.bodyText()).isEqualTo("{\"status\":\"ready\"}");

        Response config = adminGet("/config");
        assertThat(config.status()).isEqualTo(200);
        assertThat(config.header("Content-Type")).isEqualTo("application/json");
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(yaml.getBytes(StandardCharsets.UTF_8)));
        assertThat(config.bodyText()).startsWith("{\"generation\":1,\"loaded_at\":\"")
                .contains("\"sha256\":\"" + sha + "\"").endsWith("\"last_reload_error\":null}")
                .doesNotContain(GatewayYaml.KEY);

        Response missing = adminGet("/api/x");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.bodyText()).isEqualTo("{\"error\":\"Not found\"}");
        Response post = admin("POST /metrics HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\n\r\n");
        assertThat(post.status()).isEqualTo(405);
        assertThat(post.header("Allow")).isEqualTo("GET, HEAD");
    }

    @Test
    void writesOpenMetricsWhenTheScraperAsksForIt() throws Exception {
        start();
        Response text = adminGet("/metrics");
        assertThat(text.header("Content-Type")).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
        assertThat(text.bodyText()).contains("# TYPE gatehouse_access_log_dropped_total counter");

        Response open = adminGet("/metrics", "Accept: application/openmetrics-text;version=1.0.0,"
                + "text/plain;version=0.0.4;q=0.5\r\n");
        assertThat(open.header("Content-Type")).startsWith("application/openmetrics-text");
        assertThat(open.bodyText()).contains("# TYPE gatehouse_access_log_dropped counter").endsWith("# EOF\n");
    }

    @Test
    void aClientPortRequestNeverReachesAnAdminPath() throws Exception {
        start();
        for (String path : new String[] {"/metrics", "/config", "/ready", "/live"}) {
            Response response = gateway.get(path);
            assertThat(response.bodyText()).as(path).isEqualTo("from-backend");
            assertThat(gateway.lastRequest().target()).isEqualTo(path);
        }
    }

    @Test
    void reportsAFailedReloadAndKeepsTheGeneration() throws Exception {
        start();
        gateway.gateway().server().reloadFailed("gateway.yaml:3:7: port must be between 0 and 65535 (at /server/port)");
        Response config = adminGet("/config");
        assertThat(config.bodyText()).contains("\"generation\":1",
                "\"message\":\"gateway.yaml:3:7: port must be between 0 and 65535 (at /server/port)\"");
        gateway.gateway().server().reload(ConfigLoader.parse(yaml, "again.yaml"));
        assertThat(adminGet("/config").bodyText()).contains("\"generation\":2").endsWith(
                "\"last_reload_error\":null}");
    }

    @Test
    void isNotReadyWhileDraining() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        gateway = GatewayFixture.withBackend((request, connection) -> {
            release.await();
            connection.respond(200, "late");
        }).start(url -> GatewayYaml.standard().block("admin:\n  port: 0\n").openRoute("/", url));
        int adminPort = gateway.gateway().server().adminPort();
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /slow HTTP/1.1\r\nHost: gw\r\n\r\n");
            io.gatehouse.testing.Await.until(java.time.Duration.ofSeconds(10), "the request at the backend",
                    () -> gateway.backend().requests().size() == 1);
            Thread drain = new Thread(() -> gateway.gateway().server().shutdown(java.time.Duration.ofSeconds(10)));
            drain.start();
            io.gatehouse.testing.Await.until(java.time.Duration.ofSeconds(10), "/ready to answer 503", () -> {
                try {
                    return adminGet("/ready").status() == 503;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(adminGet("/live").status()).isEqualTo(200);
            release.countDown();
            assertThat(client.read().status()).isEqualTo(200);
            drain.join(10_000);
        }
        assertThat(adminPort).isPositive();
    }
}
