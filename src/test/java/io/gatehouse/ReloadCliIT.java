package io.gatehouse;

import io.gatehouse.testing.ForkedGateway;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The packaged jar reloading its {@code --config} file the ways a user makes it: saving the file (watched by
 * default), and SIGHUP, which goes through the same config thread and finds an unchanged file unchanged.
 */
class ReloadCliIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static int status(int port, String path) throws IOException {
        try (RawHttpClient client = new RawHttpClient(port)) {
            return client.send("GET " + path + " HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n").read().status();
        }
    }

    @Test
    void savingTheFileReloadsItAndSighupOnAnUnchangedFileChangesNothing() throws Exception {
        try (TestBackend backend = TestBackend.start(TestBackend.ok("ok"));
             ForkedGateway gateway = ForkedGateway.start(GatewayYaml.standard()
                     .openRoute("/a", backend.url()).build())) {
            gateway.awaitStderrLine("watching " + gateway.configFile() + " for changes", 1, WAIT);
            assertThat(status(gateway.port(), "/b")).isEqualTo(404);

            gateway.rewriteConfig(GatewayYaml.standard().openRoute("/a", backend.url())
                    .openRoute("/b", backend.url()).build());

            assertThat(gateway.awaitStderrLine("config reloaded from", 1, WAIT))
                    .contains("(2 routes, 1 API keys): generation 2", "on a file change");
            assertThat(status(gateway.port(), "/b")).isEqualTo(200);

            gateway.signal("HUP");
            assertThat(gateway.awaitStderrLine("reload on SIGHUP", 1, WAIT)).contains("is unchanged");
            assertThat(status(gateway.port(), "/b")).isEqualTo(200);

            assertThat(gateway.stop()).isZero();
            assertThat(gateway.stderr()).doesNotContain("reload refused", "Exception");
            gateway.assertNoFailureReported();
        }
    }
}
