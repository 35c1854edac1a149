package io.gatehouse;

import io.gatehouse.testing.ForkedGateway;
import io.gatehouse.testing.RawHttpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line of the packaged jar, run as a user runs it: options and exit codes, {@code --check}, a config
 * that is refused before anything binds, a port already taken, and a clean stop on SIGTERM.
 */
class GatehouseCliIT {

    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(60);

    /** Every secret in these configs starts so, and no output may contain it. */
    private static final String SECRET_PREFIX = "key_live_";

    private static final String BROKEN_CONFIG = """
            server:
              port: 70000
            auth:
              keys:
                - key: key_live_s3cret value
                  name: mobile-app
                  rate_limit: 100
                - key: key_live_d0ppel
                  name: web-dashboard
                  rate_limit: 500
                - key: key_live_d0ppel
                  name: reporting
                  rate_limit: 5
                  scope: key_live_n0t_shown
            rate_limit:
              window: 10sec
            routes:
              - prefix: /api/users
                upstream: ftp://localhost:4001
                prefx: /x
            """;

    @TempDir
    Path dir;

    @Test
    void helpPrintsTheUsageAndExitsZero() {
        try (ForkedGateway run = ForkedGateway.run("--help")) {
            assertThat(run.awaitExit(EXIT_TIMEOUT)).isZero();
            assertThat(run.stdout())
                    .startsWith("Usage: java -jar gatehouse.jar [--config PATH] [--check [--verbose]] [--help]")
                    .contains("--config PATH", "--check", "--version");
            assertThat(run.stderr()).isEmpty();
        }
    }

    @Test
    void versionPrintsTheProjectVersionAndExitsZero() {
        try (ForkedGateway run = ForkedGateway.run("--version")) {
            assertThat(run.awaitExit(EXIT_TIMEOUT)).isZero();
            assertThat(run.stdout()).matches("gatehouse \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\n");
            assertThat(run.stderr()).isEmpty();
        }
    }

    @Test
    void anUnknownOptionExitsSixtyFourWithTheUsageOnStandardError() {
        try (ForkedGateway run = ForkedGateway.run("--frobnicate")) {
            assertThat(run.awaitExit(EXIT_TIMEOUT)).isEqualTo(64);
            assertThat(run.stderr()).startsWith("gatehouse: unknown option '--frobnicate'\n").contains("Usage: ");
            assertThat(run.stdout()).isEmpty();
        }
    }

    @Test
    void verboseWithoutCheckIsAUsageError() {
        try (ForkedGateway run = ForkedGateway.run("--verbose")) {
            assertThat(run.awaitExit(EXIT_TIMEOUT)).isEqualTo(64);
            assertThat(run.stderr()).startsWith("gatehouse: --verbose goes with --check\n").contains("Usage: ");
            assertThat(run.stdout()).isEmpty();
        }
    }

    @Test
    void checkVerbosePrintsTheFiltersEachRouteRuns() throws IOException {
        Path file = dir.resolve("chains.yaml");
        Files.writeString(file, """
                auth:
                  keys:
                    - key: key_live_abc123
                      name: mobile-app
                      rate_limit: 100
                routes:
                  - prefix: /api/users
                    upstream: http://127.0.0.1:4001
                  - prefix: /open
                    upstream: http://127.0.0.1:4002
                    auth: none
                    max_body: 0
                """);
        try (ForkedGateway run = ForkedGateway.run("--check", "--verbose", "--config", file.toString())) {
            assertThat(run.awaitExit(EXIT_TIMEOUT)).isZero();
            assertThat(run.stdout()).contains(
                    "  /api/users: framing -> cors-preflight -> health -> routing -> api-key -> body-limit(10485760)"
                            + " -> rate-limit -> upstream -> proxy(http://127.0.0.1:4001)\n",
                    "  /open: framing -> cors-preflight -> health -> routing -> upstream -> proxy(http://127.0.0.1:4002)\n");
            assertThat(run.stdout()).doesNotContain("key_live_abc123");
        }
    }

    @Test
    void checkAcceptsTheShippedGatewayYamlFromTheWorkingDirectory() {
        assertThat(Path.of("gateway.yaml")).as("the shipped config, in the project directory").isRegularFile();
        try (ForkedGateway run = ForkedGateway.run("--check")) {
            assertThat(run.awaitExit(EXIT_TIMEOUT)).isZero();
            assertThat(run.stdout()).startsWith("gateway.yaml: OK (");
            assertThat(run.stderr()).isEmpty();
        }
    }

    @Test
    void checkReportsEveryProblemWithLineColumnAndPointerButNoStackTraceOrSecret() throws IOException {
        Path file = Files.writeString(dir.resolve("broken.yaml"), BROKEN_CONFIG);
        try (ForkedGateway run = ForkedGateway.run("--check", "--config", file.toString())) {
            assertThat(run.awaitExit(EXIT_TIMEOUT)).isEqualTo(2);
            assertThat(run.stdout()).isEmpty();
            List<String> lines = run.stderr().lines().toList();
            Pattern problem = Pattern.compile(Pattern.quote(file.toString()) + ":\\d+:\\d+: \\S.* \\(at /\\S*\\)");
            assertThat(lines).isNotEmpty().allMatch(line -> problem.matcher(line).matches());
            assertThat(lines).contains(
                    file + ":2:9: port must be between 0 and 65535, got 70000 (at /server/port)",
                    file + ":16:11: window: invalid duration '10sec'; write a whole number followed by ms, s, m or h,"
                            + " like 250ms, 10s, 5m or 1h (at /rate_limit/window)",
                    file + ":20:5: unknown key 'prefx'; did you mean 'prefix'? (at /routes/0/prefx)");
            assertThat(lines)
                    .anyMatch(line -> line.startsWith(file + ":5:12: ") && line.endsWith(" (at /auth/keys/0/key)"))
                    .anyMatch(line -> line.startsWith(file + ":11:12: duplicate API key"))
                    .anyMatch(line -> line.startsWith(file + ":14:7: unknown key"))
                    .anyMatch(line -> line.startsWith(file + ":19:15: ") && line.endsWith(" (at /routes/0/upstream)"));
            assertNoStackTraceOrSecret(run);
        }
    }

    @Test
    void aBrokenConfigExitsTwoBeforeBindingTheConfiguredPort() throws IOException {
        // The configured port is held here: a gateway that bound before validating would fail with "in use".
        try (ServerSocket held = holdPort();
             ForkedGateway run = ForkedGateway.launch(BROKEN_CONFIG.replace("port: 70000",
                     "port: " + held.getLocalPort() + "\n  host: 127.0.0.1"), List.of())) {
            assertThat(run.awaitExit(EXIT_TIMEOUT)).isEqualTo(2);
            assertThat(run.stderr()).contains("unknown key 'prefx'").doesNotContain("listening on", "in use",
                    "cannot start");
            assertNoStackTraceOrSecret(run);
        }
    }

    @Test
    void aPortAlreadyInUseExitsNonZeroWithAClearMessage() throws IOException {
        try (ServerSocket held = holdPort();
             ForkedGateway run = ForkedGateway.launch(validConfig(held.getLocalPort()), List.of())) {
            assertThat(run.awaitExit(EXIT_TIMEOUT)).isNotZero().isNotEqualTo(2);
            assertThat(run.stderr()).contains("gatehouse: cannot start on 127.0.0.1:" + held.getLocalPort() + ": ")
                    .contains("Address already in use")
                    .doesNotContain("listening on");
            assertNoStackTraceOrSecret(run);
        }
    }

    @Test
    void aStartedGatewayAnswersHealthAndOnSigtermFlushesTheAccessLogAndExitsZero() throws IOException {
        try (ForkedGateway gateway = ForkedGateway.start(validConfig(0))) {
            String requestId;
            try (RawHttpClient client = new RawHttpClient(gateway.port())) {
                client.send("GET /health HTTP/1.1\r\nHost: gatehouse\r\n\r\n");
                RawHttpClient.Response response = client.read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.header("Content-Type")).startsWith("application/json");
                assertThat(response.bodyText()).contains("\"status\":\"ok\"").contains("/api/users");
                requestId = response.header("X-Request-Id");
                assertThat(requestId).isNotBlank();
            }

            // SIGTERM right after the response: the access line may still be in the asynchronous appender's queue.
            assertThat(gateway.stop()).as("exit code after SIGTERM").isZero();
            assertThat(gateway.stdout().lines())
                    .as("access log on stdout; stderr was:%n%s", gateway.stderr())
                    .anyMatch(line -> line.contains("GET /health") && line.contains("request_id=" + requestId));
            assertThat(gateway.stderr()).contains("Gatehouse listening on 127.0.0.1:" + gateway.port());
            assertNoStackTraceOrSecret(gateway);
        }
    }

    private static String validConfig(int port) {
        return """
                server:
                  host: 127.0.0.1
                  port: %d
                  shutdown_timeout: 5s
                auth:
                  keys:
                    - key: key_live_s3cret_valid
                      name: mobile-app
                      rate_limit: 100
                routes:
                  - prefix: /api/users
                    upstream: http://127.0.0.1:9
                    strip_prefix: true
                """.formatted(port);
    }

    private static ServerSocket holdPort() throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return socket;
    }

    private static void assertNoStackTraceOrSecret(ForkedGateway run) {
        String output = run.stdout() + run.stderr();
        assertThat(output).doesNotContain("Exception", "\tat ", "Caused by");
        assertThat(output).doesNotContain(SECRET_PREFIX);
    }
}
