package io.gatehouse.admin;

import io.gatehouse.testing.Await;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real Prometheus (Debian's {@code prometheus} package) scrapes the admin port every second; after traffic with
 * known counts the values are read back through its HTTP API. {@code promtool check metrics} accepts the
 * exposition. Fails under CI ({@code CI=true}) and skips elsewhere when the programs are not installed.
 */
class PrometheusIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String SMALL_KEY = "key_one_per_window";

    @TempDir
    Path dir;
    private GatewayFixture gateway;
    private Process prometheus;
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void close() throws Exception {
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
            }
        }
        if (gateway != null) {
            gateway.close();
        }
    }

    private static void requireOnPath(String... programs) {
        for (String program : programs) {
            boolean found = false;
            for (String entry : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (Files.isExecutable(Path.of(entry, program))) {
                    found = true;
                }
            }
            if (!found) {
                String message = program + " not on the PATH; apt-get install prometheus to run this test";
                if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                    throw new AssertionError(message + " (CI=true: not skipping)");
                }
                Assumptions.abort(message);
            }
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private void send(int times, String raw, int status) throws Exception {
        try (RawHttpClient client = gateway.client()) {
            for (int i = 0; i < times; i++) {
                client.send(raw);
                assertThat(client.read().status()).isEqualTo(status);
            }
        }
    }

    /** The value of a PromQL instant query with one result; -1 while it has none. */
    private double query(int port, String promql) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8))).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return -1;
            }
            JsonNode result = JsonMapper.builder().build().readTree(response.body()).path("data").path("result");
            return result.size() == 1 ? Double.parseDouble(result.get(0).path("value").get(1).asString()) : -1;
        } catch (java.io.IOException e) {
            return -1; // not listening yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void prometheusReadsTheCountsBackAndPromtoolAcceptsTheExposition() throws Exception {
        requireOnPath("prometheus", "promtool");
        String down = TestBackend.closedUrl();
        gateway = GatewayFixture.withBackend(TestBackend.ok("ok")).start(url -> GatewayYaml.standard()
                .key(SMALL_KEY, "one-client", 1)
                .block("admin:\n  port: 0\n")
                .block("upstreams:\n  down:\n    targets: " + down + "\n    retries: {attempts: 0}\n")
                .route("/api", url).openRoute("/down", "down"));
        int admin = gateway.gateway().server().adminPort();

        send(6, "GET /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + GatewayYaml.KEY + "\r\n\r\n", 200);
        send(4, "GET /api/a HTTP/1.1\r\nHost: gw\r\n\r\n", 401);
        send(1, "GET /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + SMALL_KEY + "\r\n\r\n", 200);
        send(3, "GET /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + SMALL_KEY + "\r\n\r\n", 429);
        send(2, "GET /down/a HTTP/1.1\r\nHost: gw\r\n\r\n", 502);

        int port = freePort();
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global:
                  scrape_interval: 1s
                  evaluation_interval: 1s
                scrape_configs:
                  - job_name: gatehouse
                    static_configs:
                      - targets: ['127.0.0.1:%d']
                """.formatted(admin));
        prometheus = new ProcessBuilder("prometheus", "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();

        Await.until(WAIT, "Prometheus to have scraped the counts", () ->
                query(port, "gatehouse_requests_total{route=\"/api\",code=\"429\"}") == 3);
        assertThat(query(port, "gatehouse_requests_total{route=\"/api\",method=\"GET\",code=\"200\"}")).isEqualTo(7);
        assertThat(query(port, "gatehouse_requests_total{route=\"/api\",code=\"401\"}")).isEqualTo(4);
        assertThat(query(port, "gatehouse_requests_total{route=\"/down\",code=\"502\"}")).isEqualTo(2);
        assertThat(query(port, "gatehouse_rate_limited_total{route=\"/api\",client=\"one-client\"}")).isEqualTo(3);
        assertThat(query(port, "gatehouse_auth_failures_total{route=\"/api\",reason=\"missing\"}")).isEqualTo(4);
        assertThat(query(port, "gatehouse_backend_requests_total{upstream=\"down\",outcome=\"connect_failure\"}"))
                .isEqualTo(2);
        assertThat(query(port, "sum(gatehouse_request_duration_seconds_count{route=\"/api\"})")).isEqualTo(14);
        assertThat(query(port, "up{job=\"gatehouse\"}")).isEqualTo(1);

        Process promtool = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        try (var in = promtool.getOutputStream()) {
            in.write(io.gatehouse.testing.Scrape.of(admin).text().getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(promtool.exitValue()).as(output).isZero();
        assertThat(output).as("promtool's lint").isBlank();
    }
}
