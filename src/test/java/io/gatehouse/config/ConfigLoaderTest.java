package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

    /** The smallest valid file; tests that need one bad value put it in front of this. */
    private static final String ROUTES = """
            routes:
              - prefix: /api
                upstream: http://localhost:4001
            """;

    // Valid files.

    @Test
    void loadsTheShippedGatewayYaml() throws ConfigException {
        GatewayConfig config = ConfigLoader.load(Path.of("gateway.yaml"));

        assertThat(config.server()).isEqualTo(ServerConfig.defaults());
        assertThat(config.auth().header()).isEqualTo("X-API-Key");
        assertThat(config.auth().keys()).containsExactly(
                new ApiKeyConfig("key_live_abc123", "mobile-app", 100),
                new ApiKeyConfig("key_live_def456", "web-dashboard", 500));
        assertThat(config.rateLimit().window()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.cors()).isEqualTo(CorsConfig.defaults());
        assertThat(config.backend()).isEqualTo(BackendConfig.defaults());
        assertThat(config.routes()).containsExactly(
                new RouteConfig("/api/users", List.of(URI.create("http://localhost:4001")), true, false,
                        AuthMode.API_KEY, Duration.ofSeconds(30)),
                new RouteConfig("/api/orders", List.of(URI.create("http://localhost:4002")), true, false,
                        AuthMode.API_KEY, Duration.ofSeconds(30)),
                new RouteConfig("/api/products", List.of(URI.create("http://localhost:4003")), true, false,
                        AuthMode.API_KEY, Duration.ofSeconds(30)));
    }

    @Test
    void appliesEveryDefaultWhenOnlyRoutesAreGiven() throws ConfigException {
        GatewayConfig config = parse(ROUTES);

        assertThat(config).isEqualTo(GatewayConfig.defaults(
                List.of(RouteConfig.defaults("/api", URI.create("http://localhost:4001")))));
        assertThat(config.server().port()).isEqualTo(3000);
        assertThat(config.cors().allowMethods()).containsExactly("GET", "POST", "PUT", "DELETE", "OPTIONS");
    }

    @Test
    void treatsEmptySectionsAsAllDefaults() throws ConfigException {
        GatewayConfig config = parse("server:\nauth:\ncors:\n" + ROUTES);

        assertThat(config.server()).isEqualTo(ServerConfig.defaults());
        assertThat(config.auth()).isEqualTo(AuthConfig.defaults());
        assertThat(config.cors()).isEqualTo(CorsConfig.defaults());
    }

    @Test
    void readsEveryKeyOfAFullFile() throws ConfigException {
        GatewayConfig config = ConfigLoader.load(Path.of("src/test/resources/config/full.yaml"));

        assertThat(config.server()).isEqualTo(new ServerConfig("127.0.0.1", 8080, 4, Duration.ofSeconds(90),
                Duration.ofSeconds(5), 8192, 65536, 200, 8192, Duration.ofSeconds(5), Duration.ofSeconds(20),
                Duration.ofMinutes(1), 0, 0, TransportKind.EPOLL));
        assertThat(config.auth()).isEqualTo(new AuthConfig("Authorization-Key", List.of(
                new ApiKeyConfig("key_test_one", "client.one", 10),
                new ApiKeyConfig("key_test_two:with@symbols", "client-two@example", 1_000_000_000),
                ApiKeyConfig.ofSha256("14bbdde36a972f6f995d90109e10c68dca080dc80445d92978c7e2e0588f13e5",
                        "client-three", 5))));
        assertThat(config.rateLimit()).isEqualTo(new RateLimitConfig(Duration.ofMillis(250)));
        assertThat(config.cors()).isEqualTo(new CorsConfig(
                List.of("https://app.example.com", "http://localhost:5173"), List.of("GET", "PATCH"),
                List.of("Content-Type", "Authorization-Key", "X-Trace"), List.of("X-Request-Id"), true,
                Duration.ZERO));
        assertThat(config.backend()).isEqualTo(new BackendConfig(Duration.ofMillis(500), 0, Duration.ofSeconds(15)));
        assertThat(config.routes()).containsExactly(
                RouteConfig.defaults("/", URI.create("http://localhost:5000")),
                new RouteConfig("/api/v1/users",
                        List.of(URI.create("http://10.0.0.1:8080/internal"), URI.create("http://users.internal")),
                        true, true, AuthMode.NONE, Duration.ofMinutes(2), 0));
    }

    @Test
    void acceptsPortZeroForAnyFreePort() throws ConfigException {
        assertThat(parse("server:\n  port: 0\n" + ROUTES).server().port()).isZero();
    }

    @Test
    void acceptsASingleStringWhereAListIsExpected() throws ConfigException {
        GatewayConfig config = parse("cors:\n  allow_origins: https://app.example.com\n" + ROUTES);

        assertThat(config.cors().allowOrigins()).containsExactly("https://app.example.com");
    }

    @Test
    void lowercasesOriginsAsBrowsersSendThem() throws ConfigException {
        GatewayConfig config = parse("cors:\n  allow_origins: [HTTPS://App.Example.com:8443]\n" + ROUTES);

        assertThat(config.cors().allowOrigins()).containsExactly("https://app.example.com:8443");
    }

    @Test
    void dropsTheTrailingSlashOfAnUpstreamBasePath() throws ConfigException {
        GatewayConfig config = parse("""
                routes:
                  - prefix: /a
                    upstream: [http://h:81/, http://h:82/base/, http://h:83/base]
                """);

        assertThat(config.routes().get(0).upstream().urls()).containsExactly(
                URI.create("http://h:81"), URI.create("http://h:82/base"), URI.create("http://h:83/base"));
    }

    @Test
    void acceptsWindowsLineEndingsAndAByteOrderMark() throws ConfigException {
        GatewayConfig config = parse("\uFEFFserver:\r\n  port: 8080\r\n" + ROUTES.replace("\n", "\r\n"));

        assertThat(config.server().port()).isEqualTo(8080);
    }

    @Test
    void neverPrintsAnApiKeyFromToString() throws ConfigException {
        GatewayConfig config = ConfigLoader.load(Path.of("gateway.yaml"));

        assertThat(config.toString()).doesNotContain("key_live_abc123").doesNotContain("key_live_def456")
                .contains("mobile-app");
    }

    // One problem each, asserted in full: file, line, column, message and pointer.

    @Test
    void reportsUnknownKeyWithLineAndPointer() {
        assertThat(problems("""
                routes:
                  - prefix: /api
                    upstream: http://localhost:4001
                  - prefx: /b
                    upstream: http://localhost:4002
                """)).containsExactly(
                "gateway.yaml:4:5: missing required key 'prefix' (at /routes/1/prefix)",
                "gateway.yaml:4:5: unknown key 'prefx'; did you mean 'prefix'? (at /routes/1/prefx)");
    }

    @Test
    void listsTheAllowedKeysWhenAnUnknownKeyIsNoTypo() {
        assertThat(problems("logging: debug\n" + ROUTES)).containsExactly(
                "gateway.yaml:1:1: unknown key 'logging'; allowed keys are server, auth, rate_limit, cors, backend,"
                        + " upstreams, cache, routes, admin, access_log, tracing, trusted_proxies (at /logging)");
    }

    @Test
    void reportsWrongTypeOfAScalar() {
        assertThat(problems("server:\n  port: abc\n" + ROUTES)).containsExactly(
                "gateway.yaml:2:9: port must be a whole number, got the string 'abc' (at /server/port)");
    }

    @Test
    void reportsAQuotedNumberAsAString() {
        assertThat(problems("server:\n  port: \"3000\"\n" + ROUTES)).containsExactly(
                "gateway.yaml:2:9: port must be a whole number, got the string '3000' (at /server/port)");
    }

    @Test
    void reportsWrongTypeOfAListWithoutShowingTheValueUnderAuth() {
        assertThat(problems("auth:\n  keys: 5\n" + ROUTES)).containsExactly(
                "gateway.yaml:2:9: keys must be a list of entries with key, name and rate_limit, got a number"
                        + " (at /auth/keys)");
    }

    @Test
    void reportsWrongTypeOfASection() {
        assertThat(problems("cors: [a]\n" + ROUTES)).containsExactly(
                "gateway.yaml:1:7: cors must be a mapping, got a list (at /cors)");
    }

    @Test
    void reportsWrongTypeOfABoolean() {
        assertThat(problems("""
                routes:
                  - prefix: /api
                    upstream: http://localhost:4001
                    strip_prefix: yes
                """)).containsExactly(
                "gateway.yaml:4:19: strip_prefix must be true or false, got the string 'yes'"
                        + " (at /routes/0/strip_prefix)");
    }

    @Test
    void reportsMissingRequiredKeyAtTheEnclosingMapping() {
        assertThat(problems("""
                routes:
                  - prefix: /api
                    strip_prefix: true
                """)).containsExactly(
                "gateway.yaml:2:5: missing required key 'upstream' (at /routes/0/upstream)");
    }

    @Test
    void reportsAnEmptyRequiredValue() {
        assertThat(problems("routes:\n  - prefix: /api\n    upstream:\n")).containsExactly(
                "gateway.yaml:3:14: upstream must not be empty (at /routes/0/upstream)");
    }

    @Test
    void reportsMissingRoutes() {
        assertThat(problems("server:\n  port: 3000\n")).containsExactly(
                "gateway.yaml:1:1: missing required key 'routes' (at /routes)");
    }

    @Test
    void reportsAnEmptyRoutesList() {
        assertThat(problems("routes: []\n")).containsExactly(
                "gateway.yaml:1:9: routes must contain at least one route (at /routes)");
    }

    @Test
    void reportsABadDurationNamingTheAcceptedForms() {
        assertThat(problems("rate_limit:\n  window: 10sec\n" + ROUTES)).containsExactly(
                "gateway.yaml:2:11: window: invalid duration '10sec'; write a whole number followed by ms, s, m or h,"
                        + " like 250ms, 10s, 5m or 1h (at /rate_limit/window)");
    }

    @Test
    void reportsABareNumberAsABadDuration() {
        assertThat(problems("""
                routes:
                  - prefix: /api
                    upstream: http://localhost:4001
                    timeout: 10
                """)).containsExactly(
                "gateway.yaml:4:14: timeout: invalid duration '10'; write a whole number followed by ms, s, m or h,"
                        + " like 250ms, 10s, 5m or 1h (at /routes/0/timeout)");
    }

    @Test
    void reportsADurationOutOfRange() {
        assertThat(problems("rate_limit:\n  window: 0s\n" + ROUTES)).containsExactly(
                "gateway.yaml:2:11: window must be between 1ms and 24h, got 0s (at /rate_limit/window)");
    }

    @Test
    void reportsNumbersOutOfRange() {
        assertThat(problems("""
                server:
                  port: 70000
                  io_threads: -1
                backend:
                  pool_max_idle: 10001
                auth:
                  keys:
                    - {key: k1, name: a, rate_limit: 0}
                    - {key: k2, name: b, rate_limit: 1000000001}
                    - {key: k3, name: c, rate_limit: 99999999999999999999999}
                """ + ROUTES)).containsExactly(
                "gateway.yaml:2:9: port must be between 0 and 65535, got 70000 (at /server/port)",
                "gateway.yaml:3:15: io_threads must be between 0 and 256, got -1 (at /server/io_threads)",
                "gateway.yaml:5:18: pool_max_idle must be between 0 and 10000, got 10001 (at /backend/pool_max_idle)",
                "gateway.yaml:8:38: rate_limit must be between 1 and 1000000000, got 0 (at /auth/keys/0/rate_limit)",
                "gateway.yaml:9:38: rate_limit must be between 1 and 1000000000, got 1000000001"
                        + " (at /auth/keys/1/rate_limit)",
                "gateway.yaml:10:38: rate_limit must be between 1 and 1000000000, got 99999999999999999999999"
                        + " (at /auth/keys/2/rate_limit)");
    }

    @Test
    void takesAnHttpsUpstreamWithItsDefaultPort() throws ConfigException {
        var route = ConfigLoader.parse("routes:\n  - prefix: /api\n    upstream: https://example.com/v1/\n",
                "gateway.yaml", java.util.Map.of()).routes().get(0);
        assertThat(route.upstream().urls()).containsExactly(java.net.URI.create("https://example.com/v1"));
        assertThat(route.upstream().tls()).isEqualTo(BackendTlsConfig.DEFAULT);
        assertThat(io.gatehouse.upstream.BackendAddress.of(route.upstream().urls().get(0)).port()).isEqualTo(443);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "localhost:4001       | upstream must be an http:// or https:// URL like http://localhost:4001, got 'localhost:4001'",
            "ftp://h              | upstream must be an http:// or https:// URL like http://localhost:4001, got 'ftp://h'",
            "/relative            | upstream must be an http:// or https:// URL like http://localhost:4001, got '/relative'",
            "http://              | upstream 'http://' is not a valid URL: Expected authority",
            "http://a b           | upstream 'http://a b' is not a valid URL: Illegal character in authority",
            "http://local_host    | upstream 'http://local_host' has no valid host name",
            "http://user:pw@h     | upstream must not contain user info ('user@')",
            "http://h:0           | upstream port must be between 1 and 65535, got 0",
            "http://h:65536       | upstream port must be between 1 and 65535, got 65536",
            "http://h/p?x=1       | upstream must not have a query ('?') or fragment ('#'), got 'http://h/p?x=1'",
            "http://h/p#f         | upstream must not have a query ('?') or fragment ('#'), got 'http://h/p#f'",
    })
    void reportsBadUpstreamUrls(String url, String message) {
        assertThat(problems("routes:\n  - prefix: /api\n    upstream: [\"" + url + "\"]\n")).containsExactly(
                "gateway.yaml:3:16: " + message + " (at /routes/0/upstream/0)");
    }

    @Test
    void reportsAnEmptyUpstreamList() {
        assertThat(problems("routes:\n  - prefix: /api\n    upstream: []\n")).containsExactly(
                "gateway.yaml:3:15: upstream must list at least one URL (at /routes/0/upstream)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "api        | prefix must start with '/', got 'api'",
            "/api/      | prefix must not end with '/' (write '/api')",
            "/a//b      | prefix must not contain '//', got '/a//b'",
            "/a/./b     | prefix must not contain '.' or '..' segments, got '/a/./b'",
            "/a/..      | prefix must not contain '.' or '..' segments, got '/a/..'",
            "/a%2fb     | prefix must not contain '%', got '/a%2fb'",
            "/a?b       | prefix must not contain '?', got '/a?b'",
            "/a#b       | prefix must not contain '#', got '/a#b'",
            "/a;v=1     | prefix must not contain ';', got '/a;v=1'",
            "/a b       | prefix must not contain spaces, got '/a b'",
            "/a\\tb     | prefix must not contain control characters, got '/a\\u0009b'",
            "/caf\u00e9 | prefix must not contain non-ASCII characters (percent-encoding is not supported in"
                    + " prefixes), got '/caf\u00e9'",
            "/health    | prefix '/health' is reserved: the gateway answers GET /health itself",
            "/health/db | prefix '/health/db' is reserved: the gateway answers GET /health itself",
    })
    void reportsInvalidPrefixes(String prefix, String message) {
        assertThat(problems("routes:\n  - prefix: \"" + prefix + "\"\n    upstream: http://h\n")).containsExactly(
                "gateway.yaml:2:13: " + message + " (at /routes/0/prefix)");
    }

    @Test
    void acceptsPrefixesThatOnlyLookLikeReservedOnes() throws ConfigException {
        GatewayConfig config = parse("""
                routes:
                  - {prefix: /healthz, upstream: http://h}
                  - {prefix: /api/health, upstream: http://h}
                  - {prefix: "/v1.0/a-b_c~d:e@f", upstream: http://h}
                """);

        assertThat(config.routes()).extracting(RouteConfig::prefix)
                .containsExactly("/healthz", "/api/health", "/v1.0/a-b_c~d:e@f");
    }

    @Test
    void reportsADuplicatePrefixAtTheSecondNamingTheFirst() {
        assertThat(problems("""
                routes:
                  - prefix: /api/users
                    upstream: http://localhost:4001
                  - prefix: /api/orders
                    upstream: http://localhost:4002
                  - prefix: /api/users
                    upstream: http://localhost:4003
                """)).containsExactly(
                "gateway.yaml:6:13: duplicate prefix '/api/users', already used by /routes/0 (at /routes/2/prefix)");
    }

    @Test
    void reportsADuplicateApiKeyWithoutShowingIt() {
        assertThat(problems("""
                auth:
                  keys:
                    - key: key_live_abc123
                      name: mobile-app
                      rate_limit: 100
                    - key: key_live_abc123
                      name: web-dashboard
                      rate_limit: 500
                """ + ROUTES)).containsExactly(
                "gateway.yaml:6:12: duplicate API key, the same as /auth/keys/0/key (at /auth/keys/1/key)");
    }

    @Test
    void reportsADuplicateClientName() {
        assertThat(problems("""
                auth:
                  keys:
                    - key: key_live_abc123
                      name: mobile-app
                      rate_limit: 100
                    - key: key_live_def456
                      name: mobile-app
                      rate_limit: 500
                """ + ROUTES)).containsExactly(
                "gateway.yaml:7:13: duplicate client name 'mobile-app', already used by /auth/keys/0/name"
                        + " (at /auth/keys/1/name)");
    }

    @Test
    void reportsInvalidKeysAndNamesWithoutShowingThem() {
        assertThat(problems("""
                auth:
                  keys:
                    - {key: "", name: a, rate_limit: 1}
                    - {key: "key_live with space", name: b, rate_limit: 1}
                    - {key: key_live_ok, name: "key_live_x y", rate_limit: 1}
                """ + ROUTES)).containsExactly(
                "gateway.yaml:3:13: key must not be empty (at /auth/keys/0/key)",
                "gateway.yaml:4:13: key may only contain printable ASCII characters, without spaces"
                        + " (at /auth/keys/1/key)",
                "gateway.yaml:5:32: name may only contain letters, digits and - _ . : @ (at /auth/keys/2/name)");
    }

    @Test
    void rejectsCredentialsWithTheWildcardOrigin() {
        assertThat(problems("cors:\n  allow_credentials: true\n" + ROUTES)).containsExactly(
                "gateway.yaml:2:22: allow_credentials: true cannot be combined with allow_origins '*';"
                        + " list the allowed origins instead (at /cors/allow_credentials)");
    }

    @Test
    void reportsInvalidOriginsMethodsAndHeaders() {
        assertThat(problems("""
                cors:
                  allow_origins: ["https://a.example/", "null", "app.example.com"]
                  allow_methods: [GET, "PO ST"]
                  allow_headers: ["X-Ok", "X:Bad"]
                auth:
                  header: "X API Key"
                """ + ROUTES)).containsExactly(
                "gateway.yaml:2:19: allow_origins entries must be \"*\" or an origin like https://app.example.com"
                        + " (scheme://host[:port], no path), got 'https://a.example/' (at /cors/allow_origins/0)",
                "gateway.yaml:2:41: allow_origins entries must be \"*\" or an origin like https://app.example.com"
                        + " (scheme://host[:port], no path), got 'null' (at /cors/allow_origins/1)",
                "gateway.yaml:2:49: allow_origins entries must be \"*\" or an origin like https://app.example.com"
                        + " (scheme://host[:port], no path), got 'app.example.com' (at /cors/allow_origins/2)",
                "gateway.yaml:3:24: allow_methods entries must each be an HTTP method (letters, digits and"
                        + " !#$%&'*+-.^_`|~), got 'PO ST' (at /cors/allow_methods/1)",
                "gateway.yaml:4:27: allow_headers entries must each be a header name (letters, digits and"
                        + " !#$%&'*+-.^_`|~), got 'X:Bad' (at /cors/allow_headers/1)",
                "gateway.yaml:6:11: header must be a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~),"
                        + " got 'X API Key' (at /auth/header)");
    }

    @Test
    void reportsAnUnknownAuthMode() {
        assertThat(problems("routes:\n  - prefix: /api\n    upstream: http://h\n    auth: basic\n"))
                .containsExactly("gateway.yaml:4:11: auth must be api_key, jwt, api_key_or_jwt or none, got 'basic'"
                        + " (at /routes/0/auth)");
    }

    @Test
    void reportsInvalidYamlSyntaxAtTheParsersLocation() {
        assertThat(problems("server:\n  port: 3000\n  host: a: b\n" + ROUTES)).containsExactly(
                "gateway.yaml:3:10: invalid YAML: mapping values are not allowed here (at /server/host)");
    }

    @Test
    void reportsAnUnclosedFlowList() {
        assertThat(problems("cors:\n  allow_methods: [GET, POST\n" + ROUTES)).containsExactly(
                "gateway.yaml:3:7: invalid YAML: expected ',' or ']', but got : while parsing"
                        + " a flow sequence (at /cors/allow_methods/1)");
    }

    @Test
    void reportsAComplexMappingKey() {
        assertThat(problems(ROUTES + "? [complex, key]\n: value\n")).containsExactly(
                "gateway.yaml:4:4: invalid YAML: mapping keys must be plain text, not lists or mappings (at /routes)");
    }

    @Test
    void reportsTabIndentation() {
        assertThat(problems("server:\n\tport: 3000\n" + ROUTES)).containsExactly(
                "gateway.yaml:2:1: invalid YAML: tabs cannot be used for indentation; use spaces (at /server)");
    }

    @Test
    void reportsDuplicateMappingKeys() {
        assertThat(problems("server:\n  port: 3000\n  port: 3001\n" + ROUTES)).containsExactly(
                "gateway.yaml:3:3: duplicate key 'port', first written on line 2 (at /server/port)");
    }

    @Test
    void reportsAnEmptyFile() {
        assertThat(problems("")).containsExactly(
                "gateway.yaml:1:1: the file is empty; it needs at least a 'routes' list");
        assertThat(problems("# nothing but a comment\n")).containsExactly(
                "gateway.yaml:1:1: the file is empty; it needs at least a 'routes' list");
    }

    @Test
    void reportsATopLevelThatIsNotAMapping() {
        assertThat(problems("- prefix: /api\n")).containsExactly(
                "gateway.yaml:1:1: the top level must be a mapping with the sections server, auth, rate_limit, cors,"
                        + " backend, upstreams, routes, admin, access_log, tracing and cache, got a list");
        assertThat(problems("key_live_abc123\n")).containsExactly(
                "gateway.yaml:1:1: the top level must be a mapping with the sections server, auth, rate_limit, cors,"
                        + " backend, upstreams, routes, admin, access_log, tracing and cache, got a string");
    }

    @Test
    void reportsASecondYamlDocument() {
        assertThat(problems(ROUTES + "---\nserver: {}\n")).containsExactly(
                "gateway.yaml:5:1: only one YAML document is allowed; remove the second '---' section");
    }

    @Test
    void reportsYamlAliases() {
        assertThat(problems("""
                routes:
                  - prefix: /a
                    upstream: &users http://localhost:4001
                  - prefix: /b
                    upstream: *users
                """)).containsExactly(
                "gateway.yaml:5:15: YAML aliases (*name) are not supported; write the value out"
                        + " (at /routes/1/upstream)");
    }

    // Many problems, files and names.

    @Test
    void reportsEveryProblemInFileOrderPrefixedWithThePathAsGiven() {
        Path file = Path.of("src/test/resources/config/many-problems.yaml");
        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    String f = file.toString();
                    assertThat(e.problems()).containsExactly(
                            f + ":2:9: port must be between 0 and 65535, got 70000 (at /server/port)",
                            f + ":8:12: duplicate API key, the same as /auth/keys/0/key (at /auth/keys/1/key)",
                            f + ":9:13: duplicate client name 'app', already used by /auth/keys/0/name"
                                    + " (at /auth/keys/1/name)",
                            f + ":14:14: timeout: invalid duration 'soon'; write a whole number followed by ms, s,"
                                    + " m or h, like 250ms, 10s, 5m or 1h (at /routes/0/timeout)",
                            f + ":15:13: duplicate prefix '/api', already used by /routes/0 (at /routes/1/prefix)",
                            f + ":16:15: upstream must be an http:// or https:// URL like http://localhost:4001,"
                                    + " got 'ftp://example.com' (at /routes/1/upstream)");
                    assertThat(e.getMessage()).isEqualTo(String.join("\n", e.problems()));
                });
    }

    @Test
    void namesStringInputByTheGivenSourceName() {
        assertThatThrownBy(() -> ConfigLoader.parse("routes: []\n", "inline test config"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("inline test config:1:9: routes must contain at least one route (at /routes)");
    }

    @Test
    void reportsAFileThatCannotBeRead(@TempDir Path dir) {
        Path missing = dir.resolve("gateway.yaml");
        assertThatThrownBy(() -> ConfigLoader.load(missing))
                .isInstanceOf(ConfigException.class)
                .hasMessage(missing + ": cannot read: no such file");
    }

    @Test
    void reportsAFileThatIsNotUtf8(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("gateway.yaml");
        Files.write(file, new byte[] {'a', ':', ' ', (byte) 0xff, '\n'});
        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessage(file + ": cannot read: not valid UTF-8");
    }

    @Test
    void neverShowsAnApiKeyInAnyMessage() {
        List<String> problems = problems("""
                auth: key_live_top
                """ + ROUTES);
        problems = concat(problems, problems("""
                auth:
                  keys: key_live_list
                """ + ROUTES));
        problems = concat(problems, problems("""
                auth:
                  keys:
                    - key: [key_live_a, key_live_b]
                      name: a
                      rate_limit: 1
                    - key: 123456789
                      name: b
                      rate_limit: 1
                    - key: {key_live_map: 1}
                      name: c
                      rate_limit: key_live_in_limit
                    - key_live_as_a_key: d
                    - key_live_as_an_item
                    - key: key_live_dup
                      key: key_live_dup2
                      name: e
                      rate_limit: 1
                      key_live_unknown: 1
                    - {key: key_live_ok, name: key_live_name with space, rate_limit: 1}
                """ + ROUTES));
        problems = concat(problems, problems("""
                auth:
                  keys:
                    - key: "key_live_\\q"
                """));

        assertThat(problems).hasSizeGreaterThan(10).allSatisfy(p -> assertThat(p)
                .doesNotContain("key_live")
                .doesNotContain("123456789"));
    }

    @Test
    void messagesCarryNoStackTraceOrClassName() {
        List<String> problems = concat(problems("a: [1, 2\nb: 3\n"), problems("""
                server: {port: 1.5, host: [a], io_threads: true}
                routes: {prefix: /a}
                ? [complex, key]
                : value
                """));

        assertThat(problems).isNotEmpty().allSatisfy(p -> assertThat(p)
                .doesNotContain("Exception").doesNotContain("tools.jackson").doesNotContain("org.snakeyaml")
                .doesNotContain("java.").doesNotContain("\n").doesNotContain("\tat "));
    }

    private static GatewayConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, "gateway.yaml");
    }

    private static List<String> problems(String yaml) {
        try {
            ConfigLoader.parse(yaml, "gateway.yaml");
        } catch (ConfigException e) {
            return e.problems();
        }
        return fail("expected a ConfigException for:\n" + yaml);
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
