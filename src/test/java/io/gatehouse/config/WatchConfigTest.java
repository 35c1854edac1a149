package io.gatehouse.config;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code server.watch_config}: on by default, a boolean, kept by the copy-with methods. */
class WatchConfigTest {

    private static final String ROUTES = "routes:\n  - prefix: /\n    upstream: http://127.0.0.1:1\n    auth: none\n";

    @Test
    void isOnByDefaultAndCanBeTurnedOff() throws Exception {
        assertThat(ConfigLoader.parse(ROUTES, "gateway.yaml").server().watchConfig()).isTrue();
        assertThat(ConfigLoader.parse("server:\n  watch_config: false\n" + ROUTES, "gateway.yaml").server()
                .watchConfig()).isFalse();
    }

    @Test
    void mustBeABoolean() {
        assertThat(ConfigProblems.of("server:\n  watch_config: sometimes\n" + ROUTES)).containsExactly(
                "gateway.yaml:2:17: watch_config must be true or false, got the string 'sometimes' (at /server/watch_config)");
    }

    @Test
    void survivesTheCopyWithMethods() {
        ServerConfig off = ServerConfig.defaults().withWatchConfig(false);
        assertThat(off.withPort(1).withIdleTimeout(java.time.Duration.ofSeconds(1)).withMaxConnections(5)
                .withTransport(TransportKind.NIO).watchConfig()).isFalse();
    }
}
