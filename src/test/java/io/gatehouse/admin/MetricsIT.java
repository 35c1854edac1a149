package io.gatehouse.admin;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.Scrape;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The metrics on the admin port count exactly what the gateway did, with labels from the config only. */
class MetricsIT {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String SMALL_KEY = "key_small_999";

    private GatewayFixture gateway;
    private String down;

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private GatewayYaml yaml(String url, boolean withOpen) {
        GatewayYaml yaml = GatewayYaml.standard()
                .key(SMALL_KEY, "small-client", 2)
                .block("admin:\n  port: 0\n")
                .block("upstreams:\n  down:\n    targets: " + down + "\n    retries: {attempts: 0}\n")
                .route("/api", url);
        if (withOpen) {
            yaml.openRoute("/open", url).openRoute("/down", "down");
        }
        return yaml;
    }

    private void start() {
        down = TestBackend.closedUrl();
        gateway = GatewayFixture.withBackend(TestBackend.ok("ok")).start(url -> yaml(url, true));
    }

    private int admin() {
        return gateway.gateway().server().adminPort();
    }

    private void send(int times, String raw, int expectedStatus) throws Exception {
        try (RawHttpClient client = gateway.client()) {
            for (int i = 0; i < times; i++) {
                client.send(raw);
                assertThat(client.read().status()).isEqualTo(expectedStatus);
            }
        }
    }

    private static String get(String target, String... headers) {
        return "GET " + target + " HTTP/1.1\r\nHost: gw\r\n" + String.join("", headers) + "\r\n";
    }

    @Test
    void countsEachKindOfAnswerExactlyPerRoute() throws Exception {
        start();
        send(5, get("/api/x", "X-API-Key: " + GatewayYaml.KEY + "\r\n"), 200);
        send(3, get("/api/x"), 401);
        send(2, get("/api/x", "X-API-Key: not-a-key\r\n"), 403);
        send(2, get("/api/x", "X-API-Key: " + SMALL_KEY + "\r\n"), 200);
        send(4, get("/api/x", "X-API-Key: " + SMALL_KEY + "\r\n"), 429);
        send(3, get("/down/x"), 502);
        send(1, "POST /open/x HTTP/1.1\r\nHost: gw\r\nContent-Length: 2\r\n\r\nhi", 200);

        Await.until(WAIT, "all 20 requests counted", () -> Scrape.of(admin())
                .value("gatehouse_request_duration_seconds_count", "route", "/api", "code_class", "4xx") == 9
                && Scrape.of(admin()).value("gatehouse_requests_total", "route", "/down", "code", "502") == 3
                && Scrape.of(admin()).value("gatehouse_requests_total", "route", "/open", "code", "200") == 1
                && Scrape.of(admin()).value("gatehouse_requests_total", "route", "/api", "code", "200") == 7);
        Scrape scrape = Scrape.of(admin());
        String api = "/api";
        assertThat(scrape.value("gatehouse_requests_total", "route", api, "method", "GET", "code", "200")).isEqualTo(7);
        assertThat(scrape.value("gatehouse_requests_total", "route", api, "method", "GET", "code", "401")).isEqualTo(3);
        assertThat(scrape.value("gatehouse_requests_total", "route", api, "method", "GET", "code", "403")).isEqualTo(2);
        assertThat(scrape.value("gatehouse_requests_total", "route", api, "method", "GET", "code", "429")).isEqualTo(4);
        assertThat(scrape.value("gatehouse_requests_total", "route", "/down", "method", "GET", "code", "502"))
                .isEqualTo(3);
        assertThat(scrape.value("gatehouse_requests_total", "route", "/open", "method", "POST", "code", "200"))
                .isEqualTo(1);
        assertThat(scrape.value("gatehouse_request_duration_seconds_count", "route", api, "code_class", "2xx"))
                .isEqualTo(7);
        assertThat(scrape.value("gatehouse_auth_failures_total", "route", api, "reason", "missing")).isEqualTo(3);
        assertThat(scrape.value("gatehouse_auth_failures_total", "route", api, "reason", "invalid")).isEqualTo(2);
        assertThat(scrape.value("gatehouse_rate_limited_total", "route", api, "client", "small-client")).isEqualTo(4);
        assertThat(scrape.has("gatehouse_rate_limited_total", "client", GatewayYaml.CLIENT)).isFalse();

        String backend = gateway.backend().url();
        assertThat(scrape.value("gatehouse_backend_requests_total", "upstream", api, "target", backend,
                "outcome", "response")).isEqualTo(7);
        assertThat(scrape.value("gatehouse_backend_requests_total", "upstream", "/open", "target", backend,
                "outcome", "response")).isEqualTo(1);
        assertThat(scrape.value("gatehouse_backend_requests_total", "upstream", "down", "target", down,
                "outcome", "connect_failure")).isEqualTo(3);
        assertThat(scrape.value("gatehouse_backend_requests_total", "upstream", "down", "target", down,
                "outcome", "response")).isEqualTo(0);
        assertThat(scrape.value("gatehouse_backend_duration_seconds_count", "upstream", api)).isEqualTo(7);
        assertThat(scrape.value("gatehouse_target_up", "upstream", api, "target", backend)).isEqualTo(1);
        assertThat(scrape.has("gatehouse_backend_connections", "upstream", api, "state", "idle")).isTrue();
        assertThat(scrape.value("gatehouse_config_generation")).isEqualTo(1);
        assertThat(scrape.has("gatehouse_client_connections")).isTrue();
        assertThat(scrape.value("gatehouse_access_log_dropped_total")).isEqualTo(0);
        assertThat(scrape.has("jvm_memory_used_bytes")).isTrue();
        // No secret in the exposition: neither key, nor anything a client sent.
        assertThat(scrape.text()).doesNotContain(GatewayYaml.KEY, SMALL_KEY, "not-a-key", "/api/x");
    }

    @Test
    void tenThousandDistinctPathsMakeNoNewSeries() throws Exception {
        start();
        send(1, get("/open/first"), 200);
        send(1, get("/nowhere/first"), 404);
        Await.until(WAIT, "the first two requests counted", () -> Scrape.of(admin())
                .value("gatehouse_requests_total", "route", "none", "code", "404") == 1
                && Scrape.of(admin()).value("gatehouse_requests_total", "route", "/open", "code", "200") == 1);
        Set<String> before = Scrape.of(admin()).series("gatehouse_");

        // Connections of 500 requests: under server.max_requests_per_connection.
        for (int batch = 0; batch < 20; batch++) {
            try (RawHttpClient client = gateway.client()) {
                for (int i = batch * 500; i < (batch + 1) * 500; i++) {
                    String target = (i % 2 == 0 ? "/open/p" : "/nowhere/p") + i + "?q=" + i;
                    client.send(get(target, "User-Agent: agent-" + i + "\r\n"));
                    assertThat(client.read().status()).isEqualTo(i % 2 == 0 ? 200 : 404);
                }
            }
        }
        Await.until(WAIT, "10,001 requests counted on each route", () -> Scrape.of(admin())
                .value("gatehouse_requests_total", "route", "none", "code", "404") == 5001
                && Scrape.of(admin()).value("gatehouse_requests_total", "route", "/open", "code", "200") == 5001);
        Scrape after = Scrape.of(admin());
        assertThat(after.series("gatehouse_")).isEqualTo(before);
        assertThat(after.text()).doesNotContain("/open/p", "/nowhere", "agent-");
    }

    @Test
    void aReloadThatRemovesARouteRemovesItsSeries() throws Exception {
        start();
        send(2, get("/open/x"), 200);
        send(1, get("/down/x"), 502);
        send(1, get("/api/x", "X-API-Key: " + GatewayYaml.KEY + "\r\n"), 200);
        Await.until(WAIT, "the requests counted", () -> Scrape.of(admin())
                .value("gatehouse_requests_total", "route", "/open", "code", "200") == 2
                && Scrape.of(admin()).value("gatehouse_requests_total", "route", "/down", "code", "502") == 1
                && Scrape.of(admin()).value("gatehouse_requests_total", "route", "/api", "code", "200") == 1);

        gateway.gateway().server().reload(ConfigLoader.parse(yaml(gateway.backend().url(), false).build(),
                "reload.yaml"));

        Scrape scrape = Scrape.of(admin());
        assertThat(scrape.has("gatehouse_requests_total", "route", "/open")).isFalse();
        assertThat(scrape.has("gatehouse_request_duration_seconds_count", "route", "/open")).isFalse();
        assertThat(scrape.has("gatehouse_requests_total", "route", "/down")).isFalse();
        assertThat(scrape.has("gatehouse_backend_requests_total", "upstream", "/open")).isFalse();
        assertThat(scrape.has("gatehouse_target_up", "upstream", "/open")).isFalse();
        assertThat(scrape.has("gatehouse_backend_duration_seconds_count", "upstream", "/open")).isFalse();
        // The route that stayed keeps counting from where it was.
        assertThat(scrape.value("gatehouse_requests_total", "route", "/api", "code", "200")).isEqualTo(1);
        assertThat(scrape.value("gatehouse_config_generation")).isEqualTo(2);
        assertThat(scrape.value("gatehouse_config_reloads_total", "result", "success")).isEqualTo(1);
        send(1, get("/api/x", "X-API-Key: " + GatewayYaml.KEY + "\r\n"), 200);
        Await.until(WAIT, "the request after the reload counted", () -> Scrape.of(admin())
                .value("gatehouse_requests_total", "route", "/api", "code", "200") == 2);
    }
}
