package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The client-side limits and phase timeouts under {@code server}, and {@code routes[].max_body}. */
class LimitsConfigTest {

    private static final String ROUTES = """
            routes:
              - prefix: /api
                upstream: http://localhost:4001
            """;

    @Test
    void defaultsToTheRecommendedStartingValues() throws ConfigException {
        ServerConfig server = parse(ROUTES).server();

        assertThat(server.maxRequestLine()).isEqualTo(16 * 1024);
        assertThat(server.maxHeaderSize()).isEqualTo(32 * 1024);
        assertThat(server.maxHeaders()).isEqualTo(100);
        assertThat(server.maxChunkSize()).isEqualTo(16 * 1024);
        assertThat(server.headerTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(server.bodyTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(server.writeTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(server.maxConnections()).isEqualTo(10_000);
        assertThat(server.maxRequestsPerConnection()).isEqualTo(1000);
        assertThat(server.idleTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(server.shutdownTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(server.limitsConnections()).isTrue();
        assertThat(server.limitsRequestsPerConnection()).isTrue();
        assertThat(parse(ROUTES).routes().get(0).maxBody()).isEqualTo(10L * 1024 * 1024);
        assertThat(parse(ROUTES).routes().get(0).limitsBody()).isTrue();
    }

    @Test
    void readsEveryLimitAndTimeout() throws ConfigException {
        ServerConfig server = parse("""
                server:
                  max_request_line: 8KiB
                  max_header_size: 65536
                  max_headers: 50
                  max_chunk_size: 1MiB
                  header_timeout: 5s
                  body_timeout: 1m
                  write_timeout: 250ms
                  max_connections: 20000
                  max_requests_per_connection: 100
                """ + ROUTES).server();

        assertThat(server).isEqualTo(new ServerConfig(ServerConfig.DEFAULT_HOST, 3000, 0, Duration.ofSeconds(60),
                Duration.ofSeconds(30), 8192, 65536, 50, 1024 * 1024, Duration.ofSeconds(5), Duration.ofMinutes(1),
                Duration.ofMillis(250), 20_000, 100, TransportKind.AUTO));
    }

    @Test
    void transportDefaultsToAutoAndTakesEachNamedKind() throws ConfigException {
        assertThat(parse(ROUTES).server().transport()).isEqualTo(TransportKind.AUTO);
        assertThat(parse("server:\n  transport: io_uring\n" + ROUTES).server().transport())
                .isEqualTo(TransportKind.IO_URING);
        assertThat(parse("server:\n  transport: epoll\n" + ROUTES).server().transport())
                .isEqualTo(TransportKind.EPOLL);
        assertThat(parse("server:\n  transport: nio\n" + ROUTES).server().transport())
                .isEqualTo(TransportKind.NIO);
    }

    @Test
    void reportsAnUnknownTransportWithItsLine() {
        assertThat(problems("server:\n  transport: kqueue\n" + ROUTES)).containsExactly(
                "gateway.yaml:2:14: transport must be auto, io_uring, epoll or nio, got 'kqueue' (at /server/transport)");
    }

    @Test
    void readsZeroAsUnlimitedConnectionsAndRequests() throws ConfigException {
        ServerConfig server = parse("server:\n  max_connections: 0\n  max_requests_per_connection: 0\n" + ROUTES)
                .server();

        assertThat(server.maxConnections()).isEqualTo(ServerConfig.UNLIMITED);
        assertThat(server.maxRequestsPerConnection()).isEqualTo(ServerConfig.UNLIMITED);
        assertThat(server.limitsConnections()).isFalse();
        assertThat(server.limitsRequestsPerConnection()).isFalse();
    }

    @Test
    void acceptsTheEndsOfEachRange() throws ConfigException {
        ServerConfig low = parse("""
                server:
                  max_request_line: 1KiB
                  max_header_size: 1024
                  max_headers: 1
                  max_chunk_size: 1KiB
                  header_timeout: 1ms
                  body_timeout: 1ms
                  write_timeout: 1ms
                """ + ROUTES).server();
        ServerConfig high = parse("""
                server:
                  max_request_line: 1MiB
                  max_header_size: 1024KiB
                  max_headers: 10000
                  max_chunk_size: 16MiB
                  header_timeout: 1h
                  body_timeout: 60m
                  write_timeout: 3600s
                  max_connections: 1000000
                  max_requests_per_connection: 1000000000
                """ + ROUTES).server();

        assertThat(low).isEqualTo(ServerConfig.defaults().withMaxRequestLine(1024).withMaxHeaderSize(1024)
                .withMaxHeaders(1).withMaxChunkSize(1024).withHeaderTimeout(Duration.ofMillis(1))
                .withBodyTimeout(Duration.ofMillis(1)).withWriteTimeout(Duration.ofMillis(1)));
        assertThat(high).isEqualTo(ServerConfig.defaults().withMaxRequestLine(1 << 20).withMaxHeaderSize(1 << 20)
                .withMaxHeaders(10_000).withMaxChunkSize(16 << 20).withHeaderTimeout(Duration.ofHours(1))
                .withBodyTimeout(Duration.ofHours(1)).withWriteTimeout(Duration.ofHours(1))
                .withMaxConnections(1_000_000).withMaxRequestsPerConnection(1_000_000_000));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "max_request_line: 1023            | 2:21: max_request_line must be between 1KiB and 1MiB, got 1023",
            "max_request_line: 1025KiB         | 2:21: max_request_line must be between 1KiB and 1MiB, got 1025KiB",
            "max_header_size: 512B             | 2:20: max_header_size must be between 1KiB and 1MiB, got 512B",
            "max_header_size: 2MiB             | 2:20: max_header_size must be between 1KiB and 1MiB, got 2MiB",
            "max_headers: 0                    | 2:16: max_headers must be between 1 and 10000, got 0",
            "max_headers: 10001                | 2:16: max_headers must be between 1 and 10000, got 10001",
            "max_chunk_size: 0                 | 2:19: max_chunk_size must be between 1KiB and 16MiB, got 0",
            "max_chunk_size: 17MiB             | 2:19: max_chunk_size must be between 1KiB and 16MiB, got 17MiB",
            "header_timeout: 0s                | 2:19: header_timeout must be between 1ms and 1h, got 0s",
            "header_timeout: 61m               | 2:19: header_timeout must be between 1ms and 1h, got 61m",
            "body_timeout: 0ms                 | 2:17: body_timeout must be between 1ms and 1h, got 0ms",
            "body_timeout: 2h                  | 2:17: body_timeout must be between 1ms and 1h, got 2h",
            "write_timeout: 0s                 | 2:18: write_timeout must be between 1ms and 1h, got 0s",
            "write_timeout: 3601s              | 2:18: write_timeout must be between 1ms and 1h, got 3601s",
            "max_connections: -1               | 2:20: max_connections must be between 0 and 1000000, got -1",
            "max_connections: 1000001          | 2:20: max_connections must be between 0 and 1000000, got 1000001",
            "max_requests_per_connection: -1   | 2:32: max_requests_per_connection must be between 0 and 1000000000,"
                    + " got -1",
            "max_requests_per_connection: 1000000001 | 2:32: max_requests_per_connection must be between 0 and"
                    + " 1000000000, got 1000000001",
    })
    void reportsEachLimitOutOfRange(String entry, String message) {
        String key = entry.substring(0, entry.indexOf(':'));
        assertThat(problems("server:\n  " + entry + "\n" + ROUTES)).containsExactly(
                "gateway.yaml:" + message + " (at /server/" + key + ")");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "max_request_line: 16 KiB | 2:21: max_request_line: invalid size '16 KiB'; write a whole number of bytes,"
                    + " optionally followed by B, KiB, MiB, GiB or TiB, like 512, 16KiB, 10MiB or 1GiB",
            "max_header_size: 32KB    | 2:20: max_header_size: invalid size '32KB'; KB, MB, GB and TB are not"
                    + " accepted because they may mean powers of 1000 or of 1024: write 32KiB for the binary unit",
            "max_chunk_size: 1.5KiB   | 2:19: max_chunk_size: invalid size '1.5KiB'; write a whole number of bytes,"
                    + " optionally followed by B, KiB, MiB, GiB or TiB, like 512, 16KiB, 10MiB or 1GiB",
            "max_chunk_size: 2048.0   | 2:19: max_chunk_size: invalid size '2048.0'; write a whole number of bytes,"
                    + " optionally followed by B, KiB, MiB, GiB or TiB, like 512, 16KiB, 10MiB or 1GiB",
            "max_header_size: true    | 2:20: max_header_size must be a size like 16KiB, got true",
            "max_header_size: [1KiB]  | 2:20: max_header_size must be a size like 16KiB, got a list",
            "max_headers: 1.5         | 2:16: max_headers must be a whole number, got the number 1.5",
            "max_headers: many        | 2:16: max_headers must be a whole number, got the string 'many'",
            "max_connections: \"100\"   | 2:20: max_connections must be a whole number, got the string '100'",
            "header_timeout: 10       | 2:19: header_timeout: invalid duration '10'; write a whole number followed"
                    + " by ms, s, m or h, like 250ms, 10s, 5m or 1h",
            "body_timeout: 30 s       | 2:17: body_timeout: invalid duration '30 s'; write a whole number followed"
                    + " by ms, s, m or h, like 250ms, 10s, 5m or 1h",
            "write_timeout: -1s       | 2:18: write_timeout: invalid duration '-1s'; write a whole number followed"
                    + " by ms, s, m or h, like 250ms, 10s, 5m or 1h",
    })
    void reportsEachLimitOfTheWrongForm(String entry, String message) {
        String key = entry.substring(0, entry.indexOf(':'));
        assertThat(problems("server:\n  " + entry + "\n" + ROUTES)).containsExactly(
                "gateway.yaml:" + message + " (at /server/" + key + ")");
    }

    @Test
    void reportsEveryBadLimitAtOnce() {
        assertThat(problems("""
                server:
                  max_request_line: 0
                  max_headers: 0
                  write_timeout: 0s
                  max_conections: 5
                """ + ROUTES)).containsExactly(
                "gateway.yaml:2:21: max_request_line must be between 1KiB and 1MiB, got 0"
                        + " (at /server/max_request_line)",
                "gateway.yaml:3:16: max_headers must be between 1 and 10000, got 0 (at /server/max_headers)",
                "gateway.yaml:4:18: write_timeout must be between 1ms and 1h, got 0s (at /server/write_timeout)",
                "gateway.yaml:5:3: unknown key 'max_conections'; did you mean 'max_connections'?"
                        + " (at /server/max_conections)");
    }

    // routes[].max_body

    @ParameterizedTest
    @CsvSource({"0, 0", "512, 512", "1KiB, 1024", "10MiB, 10485760", "2GiB, 2147483648", "1TiB, 1099511627776"})
    void readsARouteBodyLimit(String written, long bytes) throws ConfigException {
        RouteConfig route = parse(ROUTES + "    max_body: " + written + "\n").routes().get(0);

        assertThat(route.maxBody()).isEqualTo(bytes);
        assertThat(route.limitsBody()).isEqualTo(bytes != 0);
    }

    @Test
    void appliesTheBodyLimitPerRoute() throws ConfigException {
        GatewayConfig config = parse("""
                routes:
                  - prefix: /uploads
                    upstream: http://localhost:4001
                    max_body: 1GiB
                  - prefix: /api
                    upstream: http://localhost:4002
                """);

        assertThat(config.routes()).extracting(RouteConfig::maxBody).containsExactly(Sizes.GIB, 10 * Sizes.MIB);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "-1      | max_body: invalid size '-1'; write a whole number of bytes, optionally followed by B, KiB, MiB,"
                    + " GiB or TiB, like 512, 16KiB, 10MiB or 1GiB",
            "10MB    | max_body: invalid size '10MB'; KB, MB, GB and TB are not accepted because they may mean powers"
                    + " of 1000 or of 1024: write 10MiB for the binary unit",
            "1025GiB | max_body must be between 0B and 1TiB, got 1025GiB",
            "2TiB    | max_body must be between 0B and 1TiB, got 2TiB",
            "none    | max_body: invalid size 'none'; write a whole number of bytes, optionally followed by B, KiB,"
                    + " MiB, GiB or TiB, like 512, 16KiB, 10MiB or 1GiB",
    })
    void reportsABadBodyLimit(String written, String message) {
        assertThat(problems(ROUTES + "    max_body: " + written + "\n")).containsExactly(
                "gateway.yaml:4:15: " + message + " (at /routes/0/max_body)");
    }

    // The records themselves.

    @Test
    void keepsTheShortConstructorsWithDefaultLimits() {
        assertThat(new ServerConfig("0.0.0.0", 3000, 0, Duration.ofSeconds(60), Duration.ofSeconds(30)))
                .isEqualTo(ServerConfig.defaults());
        assertThat(new RouteConfig("/a", List.of(URI.create("http://h")), false, false, AuthMode.API_KEY,
                Duration.ofSeconds(30))).isEqualTo(RouteConfig.defaults("/a", URI.create("http://h")));
        assertThat(RouteConfig.defaults("/a", URI.create("http://h")).withMaxBody(0).maxBody()).isZero();
    }

    @Test
    void rejectsImpossibleValuesInTheRecords() {
        ServerConfig server = ServerConfig.defaults();
        assertThatThrownBy(() -> server.withMaxHeaders(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> server.withMaxRequestLine(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> server.withHeaderTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> server.withMaxConnections(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RouteConfig.defaults("/a", URI.create("http://h")).withMaxBody(-1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static GatewayConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, "gateway.yaml", java.util.Map.of());
    }

    private static List<String> problems(String yaml) {
        try {
            ConfigLoader.parse(yaml, "gateway.yaml", java.util.Map.of());
        } catch (ConfigException e) {
            return e.problems();
        }
        return fail("expected a ConfigException for:\n" + yaml);
    }
}
