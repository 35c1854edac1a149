package io.gatehouse.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/** The {@code admin}, {@code access_log} and {@code tracing} sections. */
class OperationsConfigTest {

    private static final String ROUTES = """
            routes:
              - prefix: /api
                upstream: http://localhost:4001
            """;

    private static List<String> problems(String yaml) {
        try {
            ConfigLoader.parse(yaml, "gateway.yaml");
        } catch (ConfigException e) {
            return e.problems();
        }
        return fail("expected a ConfigException for:\n" + yaml);
    }

    @Test
    void defaultsToNoAdminListenerTextLogAndTrustedTraceContext() throws Exception {
        OperationsConfig ops = ConfigLoader.parse(ROUTES, "gateway.yaml").operations();
        assertThat(ops.admin().enabled()).isFalse();
        assertThat(ops.accessLog()).isEqualTo(AccessLogConfig.defaults());
        assertThat(ops.accessLog().throughLogback()).isTrue();
        assertThat(ops.tracing().trustIncoming()).isTrue();
        assertThat(ops.sourceSha256()).matches("[0-9a-f]{64}");
    }

    @Test
    void readsEverySetting() throws Exception {
        OperationsConfig ops = ConfigLoader.parse("""
                admin:
                  port: 9901
                  host: 0.0.0.0
                access_log:
                  format: json
                  path: /var/log/gatehouse/access.json
                tracing:
                  trust_incoming: false
                """ + ROUTES, "gateway.yaml").operations();
        assertThat(ops.admin()).isEqualTo(new AdminConfig("0.0.0.0", 9901));
        assertThat(ops.accessLog()).isEqualTo(new AccessLogConfig(AccessLogConfig.Format.JSON,
                Path.of("/var/log/gatehouse/access.json")));
        assertThat(ops.tracing().trustIncoming()).isFalse();
    }

    @Test
    void reportsBadValuesWithTheirPlace() {
        assertThat(problems("""
                admin:
                  port: 70000
                access_log:
                  format: xml
                  colour: red
                tracing:
                  trust_incoming: maybe
                """ + ROUTES)).containsExactly(
                "gateway.yaml:2:9: port must be between 0 and 65535, got 70000 (at /admin/port)",
                "gateway.yaml:4:11: format must be text or json, got 'xml' (at /access_log/format)",
                "gateway.yaml:5:3: unknown key 'colour'; allowed keys are format, path (at /access_log/colour)",
                "gateway.yaml:7:19: trust_incoming must be true or false, got the string 'maybe' (at /tracing/trust_incoming)");
    }

    @Test
    void refusesAnAdminHostWithoutAPort() {
        assertThat(problems("admin:\n  host: 127.0.0.1\n" + ROUTES)).containsExactly(
                "gateway.yaml:2:9: admin.host needs admin.port: without a port there is no admin listener"
                        + " (at /admin/host)");
    }
}
