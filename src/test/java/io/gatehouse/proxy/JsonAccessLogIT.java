package io.gatehouse.proxy;

import io.gatehouse.testing.Await;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code access_log: {format: json, path: ...}}: one object per line, fixed keys and types, no secrets. */
class JsonAccessLogIT {

    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final Set<String> KEYS = Set.of("ts", "request_id", "trace_id", "method", "path", "query",
            "status", "duration_ms", "client", "client_ip", "route", "upstream", "target", "attempts", "bytes_in",
            "bytes_out", "backend_ms", "user_agent", "config_generation");
    private static final String BEARER = "Bearer eyJhbGciOiJIUzI1NiJ9.secret-token";
    private static final String COOKIE = "session=cookie-secret-42";

    @TempDir
    Path dir;
    private GatewayFixture gateway;

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.close();
        }
    }

    private List<JsonNode> lines(Path file, int expected) throws Exception {
        Await.until(java.time.Duration.ofSeconds(10), expected + " JSON lines", () -> {
            try {
                return Files.exists(file) && Files.readAllLines(file).size() >= expected;
            } catch (java.io.IOException e) {
                throw new AssertionError(e);
            }
        });
        List<String> raw = Files.readAllLines(file);
        assertThat(raw).hasSize(expected);
        List<JsonNode> parsed = new ArrayList<>();
        for (String line : raw) {
            assertThat(line).doesNotContain(GatewayYaml.KEY, "wrong-key-xyz", "secret-token", "cookie-secret",
                    "Bearer");
            parsed.add(JSON.readTree(line));
        }
        return parsed;
    }

    @Test
    void writesOneObjectPerLineWithFixedKeysAndNoSecret() throws Exception {
        Path file = dir.resolve("access.json");
        gateway = GatewayFixture.withBackend(TestBackend.ok("hello")).start(url -> GatewayYaml.standard()
                .block("access_log:\n  format: json\n  path: " + file + "\n")
                .route("/api", url).openRoute("/open", url));
        String secrets = "Authorization: " + BEARER + "\r\nCookie: " + COOKIE + "\r\n";
        try (RawHttpClient client = gateway.client()) {
            client.send("POST /api/users?page=2&sort=asc HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + GatewayYaml.KEY
                    + "\r\n" + secrets + "User-Agent: curl/8.5\r\nContent-Length: 5\r\n\r\nabcde");
            assertThat(client.read().status()).isEqualTo(200);
            client.send("GET /api/users HTTP/1.1\r\nHost: gw\r\nX-API-Key: wrong-key-xyz\r\n" + secrets + "\r\n");
            assertThat(client.read().status()).isEqualTo(403);
            client.send("GET /nowhere HTTP/1.1\r\nHost: gw\r\n" + secrets + "\r\n");
            assertThat(client.read().status()).isEqualTo(404);
        }
        String backendTrace = gateway.backend().requests().get(0).header("traceparent").substring(3, 35);

        List<JsonNode> lines = lines(file, 3);
        for (JsonNode line : lines) {
            Set<String> keys = new TreeSet<>();
            line.propertyNames().forEach(keys::add);
            assertThat(keys).containsAll(KEYS);
            assertThat(keys).isSubsetOf(new TreeSet<>(KEYS) {{ add("failure"); }});
            assertThat(line.get("ts").asString()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
            assertThat(line.get("request_id").isString()).isTrue();
            assertThat(line.get("trace_id").asString()).matches("[0-9a-f]{32}");
            assertThat(line.get("status").isInt()).isTrue();
            assertThat(line.get("duration_ms").isNumber()).isTrue();
            assertThat(line.get("attempts").isInt()).isTrue();
            assertThat(line.get("bytes_in").isNumber()).isTrue();
            assertThat(line.get("bytes_out").isNumber()).isTrue();
            assertThat(line.get("client_ip").asString()).isEqualTo("127.0.0.1");
        }
        JsonNode ok = lines.get(0);
        assertThat(ok.get("method").asString()).isEqualTo("POST");
        assertThat(ok.get("path").asString()).isEqualTo("/api/users");
        assertThat(ok.get("query").asString()).isEqualTo("page=2&sort=asc");
        assertThat(ok.get("status").asInt()).isEqualTo(200);
        assertThat(ok.get("client").asString()).isEqualTo(GatewayYaml.CLIENT);
        assertThat(ok.get("route").asString()).isEqualTo("/api");
        assertThat(ok.get("upstream").asString()).isEqualTo("/api");
        assertThat(ok.get("target").asString()).isEqualTo(gateway.backend().url().substring("http://".length()));
        assertThat(ok.get("attempts").asInt()).isEqualTo(1);
        assertThat(ok.get("bytes_in").asLong()).isEqualTo(5);
        assertThat(ok.get("bytes_out").asLong()).isEqualTo(5);
        assertThat(ok.get("backend_ms").isNumber()).isTrue();
        assertThat(ok.get("user_agent").asString()).isEqualTo("curl/8.5");
        assertThat(ok.get("trace_id").asString()).isEqualTo(backendTrace);
        assertThat(ok.has("failure")).isFalse();

        JsonNode refused = lines.get(1);
        assertThat(refused.get("status").asInt()).isEqualTo(403);
        assertThat(refused.get("client").isNull()).isTrue();
        assertThat(refused.get("backend_ms").isNull()).isTrue();
        assertThat(refused.get("query").isNull()).isTrue();
        JsonNode notFound = lines.get(2);
        assertThat(notFound.get("status").asInt()).isEqualTo(404);
        assertThat(notFound.get("route").isNull()).isTrue();
    }

    @Test
    void aReloadToAnotherFileMovesTheLinesThere() throws Exception {
        Path first = dir.resolve("first.json");
        Path second = dir.resolve("second.json");
        gateway = GatewayFixture.withBackend(TestBackend.ok("hello")).start(url -> GatewayYaml.standard()
                .block("access_log:\n  format: json\n  path: " + first + "\n").openRoute("/open", url));
        assertThat(gateway.get("/open/a").status()).isEqualTo(200);
        lines(first, 1);
        String url = gateway.backend().url();
        gateway.gateway().server().reload(io.gatehouse.config.ConfigLoader.parse(GatewayYaml.standard()
                .block("access_log:\n  format: json\n  path: " + second + "\n").openRoute("/open", url).build(),
                "reload.yaml"));
        assertThat(gateway.get("/open/b").status()).isEqualTo(200);
        assertThat(lines(second, 1).get(0).get("path").asString()).isEqualTo("/open/b");
        assertThat(Files.readAllLines(first)).hasSize(1);
        assertThat(Map.of()).isEmpty();
    }
}
