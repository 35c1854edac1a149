package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code ${NAME}} references to environment variables in any scalar value. */
class EnvironmentReferencesTest {

    private static final String ROUTES = """
            routes:
              - prefix: /api
                upstream: http://localhost:4001
            """;

    @Test
    void replacesAReferenceWithTheVariablesValue() throws ConfigException {
        GatewayConfig config = parse("""
                auth:
                  keys:
                    - key: ${API_KEY_MOBILE}
                      name: mobile-app
                      rate_limit: 100
                routes:
                  - prefix: /api
                    upstream: http://${USERS_HOST}:4001/v${API_VERSION}
                """, Map.of("API_KEY_MOBILE", "key_live_abc123", "USERS_HOST", "users.internal",
                "API_VERSION", "2"));

        assertThat(config.auth().keys()).containsExactly(new ApiKeyConfig("key_live_abc123", "mobile-app", 100));
        assertThat(config.routes().get(0).upstream().urls()).containsExactly(URI.create("http://users.internal:4001/v2"));
    }

    @Test
    void checksTheValueAfterSubstitutionAsTheKeyExpects() throws ConfigException {
        GatewayConfig config = parse("""
                server:
                  port: ${PORT}
                  idle_timeout: ${IDLE}
                  max_header_size: ${HEADERS}
                  max_connections: "${CONNECTIONS}"
                cors:
                  allow_credentials: ${CREDENTIALS}
                  allow_origins: [https://app.example.com]
                routes:
                  - prefix: /api
                    upstream: http://localhost:4001
                    strip_prefix: ${STRIP}
                    max_body: ${MAX_BODY}
                """, Map.of("PORT", "8080", "IDLE", "90s", "HEADERS", "64KiB", "CONNECTIONS", "0",
                "CREDENTIALS", "true", "STRIP", "false", "MAX_BODY", "0"));

        assertThat(config.server().port()).isEqualTo(8080);
        assertThat(config.server().idleTimeout()).isEqualTo(Duration.ofSeconds(90));
        assertThat(config.server().maxHeaderSize()).isEqualTo(64 * 1024);
        assertThat(config.server().maxConnections()).isZero();
        assertThat(config.cors().allowCredentials()).isTrue();
        assertThat(config.routes().get(0).stripPrefix()).isFalse();
        assertThat(config.routes().get(0).maxBody()).isZero();
    }

    @Test
    void reportsAValueThatIsWrongAfterSubstitution() {
        assertThat(problems("""
                server:
                  port: ${PORT}
                  idle_timeout: ${IDLE}
                cors:
                  allow_credentials: ${CREDENTIALS}
                """ + ROUTES, Map.of("PORT", "70000", "IDLE", "soon", "CREDENTIALS", "yes"))).containsExactly(
                "gateway.yaml:2:9: port must be between 0 and 65535, got 70000 (at /server/port)",
                "gateway.yaml:3:17: idle_timeout: invalid duration 'soon'; write a whole number followed by ms, s, m"
                        + " or h, like 250ms, 10s, 5m or 1h (at /server/idle_timeout)",
                "gateway.yaml:5:22: allow_credentials must be true or false, got the string 'yes'"
                        + " (at /cors/allow_credentials)");
    }

    @Test
    void substitutesInsideListsAndFlowCollections() throws ConfigException {
        GatewayConfig config = parse("""
                cors:
                  allow_origins:
                    - https://${APP_HOST}
                    - "http://localhost:${DEV_PORT}"
                  allow_headers: [Content-Type, "${KEY_HEADER}"]
                routes:
                  - prefix: /api
                    upstream: ["http://${A}:4001", "http://${B}:4001"]
                """, Map.of("APP_HOST", "app.example.com", "DEV_PORT", "5173", "KEY_HEADER", "X-Key",
                "A", "10.0.0.1", "B", "10.0.0.2"));

        assertThat(config.cors().allowOrigins()).containsExactly("https://app.example.com", "http://localhost:5173");
        assertThat(config.cors().allowHeaders()).containsExactly("Content-Type", "X-Key");
        assertThat(config.routes().get(0).upstream().urls())
                .containsExactly(URI.create("http://10.0.0.1:4001"), URI.create("http://10.0.0.2:4001"));
    }

    @Test
    void readsDollarDollarBraceAsALiteral() throws ConfigException {
        GatewayConfig config = parse("""
                auth:
                  keys:
                    - {key: "k$${NOT_A_VAR}", name: a, rate_limit: 1}
                    - {key: "k$x$$y$", name: b, rate_limit: 1}
                    - {key: "$${A}${A}", name: c, rate_limit: 1}
                """ + ROUTES, Map.of("A", "v"));

        assertThat(config.auth().keys()).extracting(ApiKeyConfig::key)
                .containsExactly("k${NOT_A_VAR}", "k$x$$y$", "${A}v");
    }

    @Test
    void neverScansAVariablesValueAgain() throws ConfigException {
        GatewayConfig config = parse("auth:\n  keys:\n    - {key: \"${K}\", name: a, rate_limit: 1}\n" + ROUTES,
                Map.of("K", "k${OTHER}$${x}", "OTHER", "no"));

        assertThat(config.auth().keys().get(0).key()).isEqualTo("k${OTHER}$${x}");
    }

    @Test
    void neverLetsAVariableAddYamlStructure() throws ConfigException {
        assertThat(problems("server:\n  host: ${HOST}\n" + ROUTES, Map.of("HOST", "localhost\n  port: 9999")))
                .containsExactly("gateway.yaml:2:9: host must be an address or host name without spaces, like"
                        + " 0.0.0.0 or localhost (at /server/host)");
        GatewayConfig config = parse("""
                auth:
                  keys:
                    - key: ${A}
                      name: a
                      rate_limit: 1
                    - key: ${B}
                      name: b
                      rate_limit: 1
                    - {key: "${C}", name: c, rate_limit: 1}
                """ + ROUTES, Map.of("A", "{port:9999}", "B", "*alias", "C", "!!binary"));
        assertThat(config.auth().keys()).extracting(ApiKeyConfig::key)
                .containsExactly("{port:9999}", "*alias", "!!binary");
    }

    @Test
    void keepsAnEmptyValue() throws ConfigException {
        assertThat(parse("auth:\n  header: X-Key${SUFFIX}\n" + ROUTES, Map.of("SUFFIX", "")).auth().header())
                .isEqualTo("X-Key");
    }

    @Test
    void reportsAnUnsetVariableByNameAtTheValue() {
        assertThat(problems("""
                server:
                  port: ${PORT}
                routes:
                  - prefix: /api
                    upstream: [http://localhost:4001, "http://${BACKUP_HOST}:4001"]
                """, Map.of())).containsExactly(
                "gateway.yaml:2:9: environment variable PORT is not set (at /server/port)",
                "gateway.yaml:5:39: environment variable BACKUP_HOST is not set (at /routes/0/upstream/1)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "a${b                 | unclosed ${ in an environment reference; write ${NAME}, or $${ for a literal ${",
            "${                   | unclosed ${ in an environment reference; write ${NAME}, or $${ for a literal ${",
            "${}                  | invalid environment reference '${}'; a name is letters, digits and '_', not"
                    + " starting with a digit, like ${API_KEY} (write $${ for a literal ${)",
            "${1ABC}              | invalid environment reference '${1ABC}'; a name is letters, digits and '_', not"
                    + " starting with a digit, like ${API_KEY} (write $${ for a literal ${)",
            "${HOST:-localhost}   | invalid environment reference '${HOST:-localhost}'; a name is letters, digits"
                    + " and '_', not starting with a digit, like ${API_KEY} (write $${ for a literal ${)",
            "${ HOST }            | invalid environment reference '${ HOST }'; a name is letters, digits and '_',"
                    + " not starting with a digit, like ${API_KEY} (write $${ for a literal ${)",
    })
    void reportsAMalformedReference(String value, String message) {
        assertThat(problems("server:\n  host: \"" + value + "\"\n" + ROUTES, Map.of("HOST", "h"))).containsExactly(
                "gateway.yaml:2:9: " + message + " (at /server/host)");
    }

    @Test
    void takesBareDollarsLiterally() throws ConfigException {
        assertThat(parse("auth:\n  keys:\n    - {key: \"$HOME$\", name: a, rate_limit: 1}\n" + ROUTES,
                Map.of("HOME", "/root")).auth().keys().get(0).key()).isEqualTo("$HOME$");
    }

    @Test
    void leavesMappingKeysAlone() {
        assertThat(problems("server:\n  ${KEY}: 1\n" + ROUTES, Map.of("KEY", "port"))).containsExactly(
                "gateway.yaml:2:3: unknown key '${KEY}'; allowed keys are host, port, io_threads, idle_timeout,"
                        + " shutdown_timeout, max_request_line, max_header_size, max_headers, max_chunk_size,"
                        + " header_timeout, body_timeout, write_timeout, max_connections,"
                        + " max_requests_per_connection, transport, watch_config, tls, http2, h2c,"
                        + " http2_max_streams (at /server/${KEY})");
    }

    @Test
    void neverShowsASubstitutedValueUnderAuthKeysOrTheRedisUrl() {
        Map<String, String> env = Map.of(
                "SPACE_KEY", "key_live with space",
                "EMPTY", "",
                "DUP", "key_live_dup",
                "HASH", "key_live_not_a_hash",
                "LIMIT", "key_live_limit",
                "BIG_LIMIT", "999999999999",
                "NAME", "key_live_name",
                "PASSWORD", "key_live_p@ss",
                "PORT", "key_live_port");
        List<String> problems = problems("""
                auth:
                  keys:
                    - {key: "${SPACE_KEY}", name: a, rate_limit: 1}
                    - {key: "${EMPTY}", name: b, rate_limit: 1}
                    - {key: "${DUP}", name: c, rate_limit: 1}
                    - {key: "${DUP}", name: d, rate_limit: 1}
                    - {key_sha256: "${HASH}", name: e, rate_limit: 1}
                    - {key: k1, name: f, rate_limit: "${LIMIT}"}
                    - {key: k2, name: g, rate_limit: "${BIG_LIMIT}"}
                    - {key: k3, name: "${NAME}", rate_limit: 1}
                    - {key: k4, name: "${NAME}", rate_limit: 1}
                    - {key: "${MISSING}", name: "${NAME} x", rate_limit: 1}
                    - {key: "${DUP", name: i, rate_limit: 1}
                    - {key: "${key_live_bad-name}", name: j, rate_limit: 1}
                rate_limit:
                  store: redis
                  redis:
                    url: "redis://:${PASSWORD}@redis.internal:${PORT}"
                """ + ROUTES, env);

        assertThat(problems).hasSize(12).allSatisfy(p -> assertThat(p)
                .doesNotContain("key_live").doesNotContain("999999999999").doesNotContain("p@ss"));
        assertThat(problems).contains(
                "gateway.yaml:6:13: duplicate API key, the same as /auth/keys/2/key (at /auth/keys/3/key)",
                "gateway.yaml:11:23: duplicate client name, already used by /auth/keys/7/name"
                        + " (at /auth/keys/8/name)",
                "gateway.yaml:9:38: rate_limit must be between 1 and 1000000000 (at /auth/keys/6/rate_limit)",
                "gateway.yaml:12:13: environment variable MISSING is not set (at /auth/keys/9/key)",
                "gateway.yaml:12:33: name may only contain letters, digits and - _ . : @ (at /auth/keys/9/name)",
                "gateway.yaml:13:13: unclosed ${ in an environment reference; write ${NAME}, or $${ for a literal ${"
                        + " (at /auth/keys/10/key)",
                "gateway.yaml:14:13: invalid environment reference; a name is letters, digits and '_', not starting"
                        + " with a digit, like ${API_KEY} (write $${ for a literal ${) (at /auth/keys/11/key)");
    }

    /** The example of "Keeping secrets out of gateway.yaml" in docs/configuration.md. */
    private static final String DOCS_EXAMPLE = """
            auth:
              keys:
                - key_sha256: 87f40f5e0d7d1d84d52e7461a0fc8d2ce15b282102c3458696f5933eae3ca262
                  name: partner-a
                  rate_limit: 100
                - key: ${API_KEY_MOBILE}           # the key itself, from the environment
                  name: mobile-app
                  rate_limit: 100
                - key_sha256: ${API_KEY_WEB_SHA256}
                  name: web-dashboard
                  rate_limit: 500
            rate_limit:
              store: redis
              redis:
                url: redis://:${REDIS_PASSWORD}@redis.internal:6379/0
            """ + ROUTES;

    @Test
    void readsTheDocumentedExample() throws ConfigException {
        GatewayConfig config = parse(DOCS_EXAMPLE, Map.of("API_KEY_MOBILE", "key_live_mobile_7Qx",
                "API_KEY_WEB_SHA256", "4509E5228283A7E66D41DC59D3E1E5860CEAB5C2B65FCADDF319E7DD3E3DA854",
                "REDIS_PASSWORD", "s3cr%40t"));

        assertThat(config.auth().keys()).containsExactly(
                ApiKeyConfig.ofSha256("87f40f5e0d7d1d84d52e7461a0fc8d2ce15b282102c3458696f5933eae3ca262",
                        "partner-a", 100),
                new ApiKeyConfig("key_live_mobile_7Qx", "mobile-app", 100),
                ApiKeyConfig.ofSha256("4509e5228283a7e66d41dc59d3e1e5860ceab5c2b65fcaddf319e7dd3e3da854",
                        "web-dashboard", 500));
        assertThat(config.rateLimit().redis().password()).isEqualTo("s3cr@t");
        assertThat(config.toString()).doesNotContain("key_live").doesNotContain("s3cr").doesNotContain("87f40f5e")
                .doesNotContain("4509e522");
        assertThat(problems(DOCS_EXAMPLE, Map.of("API_KEY_WEB_SHA256", "x", "REDIS_PASSWORD", "p"))).containsExactly(
                "gateway.yaml:6:12: environment variable API_KEY_MOBILE is not set (at /auth/keys/1/key)",
                "gateway.yaml:9:19: key_sha256 must be 64 hex digits: the first field printed by"
                        + " printf %s \"$KEY\" | sha256sum (at /auth/keys/2/key_sha256)");
    }

    @Test
    void loadsAFileWithTheGivenEnvironment(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("gateway.yaml");
        Files.writeString(file, "server:\n  port: ${PORT}\n" + ROUTES);

        assertThat(ConfigLoader.load(file, Map.of("PORT", "4242")).server().port()).isEqualTo(4242);
    }

    @Test
    void usesTheProcessEnvironmentByDefault() throws ConfigException {
        Map.Entry<String, String> variable = System.getenv().entrySet().stream()
                .filter(e -> e.getKey().matches("[A-Za-z_][A-Za-z0-9_]*") && e.getValue().matches("[A-Za-z0-9._/:-]+"))
                .findFirst().orElse(null);
        Assumptions.assumeTrue(variable != null, "no environment variable with a value usable as a host name");

        assertThat(ConfigLoader.parse("server:\n  host: ${" + variable.getKey() + "}\n" + ROUTES, "gateway.yaml")
                .server().host()).isEqualTo(variable.getValue());
        assertThatThrownBy(() -> ConfigLoader.parse("server:\n  host: ${GATEHOUSE_SURELY_UNSET_7F3A}\n" + ROUTES,
                "gateway.yaml")).hasMessage("gateway.yaml:2:9: environment variable GATEHOUSE_SURELY_UNSET_7F3A is"
                        + " not set (at /server/host)");
    }

    private static GatewayConfig parse(String yaml, Map<String, String> env) throws ConfigException {
        return ConfigLoader.parse(yaml, "gateway.yaml", env);
    }

    private static List<String> problems(String yaml, Map<String, String> env) {
        try {
            ConfigLoader.parse(yaml, "gateway.yaml", env);
        } catch (ConfigException e) {
            return e.problems();
        }
        return fail("expected a ConfigException for:\n" + yaml);
    }
}
