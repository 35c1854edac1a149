package io.gatehouse.config;

import io.gatehouse.testing.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code server.http2}, {@code server.h2c} and {@code server.http2_max_streams}. */
class Http2ConfigTest {

    private static final String ROUTES = """
            routes:
              - prefix: /api
                upstream: http://localhost:4001
            """;

    @TempDir
    Path dir;

    private static ServerConfig server(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml + ROUTES, "gateway.yaml", java.util.Map.of()).server();
    }

    private static List<String> problems(String yaml) {
        return ConfigProblems.of(yaml + ROUTES);
    }

    private String tls() {
        Path cert = TestCertificates.write(TestCertificates.authority().leaf("gw"), dir, "gw");
        return "server:\n  tls:\n    cert: " + cert + "\n    key: " + dir.resolve("gw.key") + "\n";
    }

    @Test
    void h2ByAlpnIsOnWithTlsAndH2cIsOff() throws Exception {
        assertThat(server("").http2()).isEqualTo(Http2Config.DEFAULT);
        assertThat(server("").h2OverTls()).isFalse();
        assertThat(server(tls()).h2OverTls()).isTrue();
        assertThat(server(tls() + "  http2: false\n").h2OverTls()).isFalse();
        assertThat(server("server:\n  h2c: true\n  http2_max_streams: 250\n").http2())
                .isEqualTo(new Http2Config(true, true, 250));
    }

    @Test
    void combinationsThatCannotWorkAreRefused() throws Exception {
        assertThat(problems("server:\n  http2: true\n")).containsExactly("gateway.yaml:2:10: http2 (h2 by ALPN)"
                + " needs tls; for cleartext HTTP/2 set h2c: true (at /server/http2)");
        assertThat(problems(tls() + "  h2c: true\n")).containsExactly("gateway.yaml:5:8: h2c is cleartext HTTP/2;"
                + " a listener with tls offers h2 by ALPN instead (at /server/h2c)");
        assertThat(problems("server:\n  http2_max_streams: 0\n")).singleElement().asString()
                .startsWith("gateway.yaml:2:22: http2_max_streams must be between 1 and 1000");
    }
}
