package io.gatehouse.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code routes[].websocket} and {@code routes[].websocket_idle_timeout}. */
class WebSocketConfigTest {

    private static GatewayConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, "gateway.yaml", java.util.Map.of());
    }

    private static List<String> problems(String yaml) {
        return ConfigProblems.of(yaml);
    }

    @Test
    void offUnlessARouteSaysSo() throws ConfigException {
        GatewayConfig config = parse("""
                routes:
                  - prefix: /api
                    upstream: http://localhost:4001
                  - prefix: /ws/chat
                    upstream: http://localhost:4005
                    websocket: true
                  - prefix: /ws/feed
                    upstream: http://localhost:4006
                    websocket: true
                    websocket_idle_timeout: 90s
                """);
        assertThat(config.routes().get(0).websocket()).isEqualTo(WebSocketConfig.OFF);
        assertThat(config.routes().get(1).websocket()).isEqualTo(new WebSocketConfig(true, Duration.ofMinutes(5)));
        assertThat(config.routes().get(2).websocket()).isEqualTo(new WebSocketConfig(true, Duration.ofSeconds(90)));
    }

    @Test
    void badValuesNameTheKeyAndLine() {
        assertThat(problems("""
                routes:
                  - prefix: /ws
                    upstream: http://localhost:4005
                    websocket: yes please
                """)).singleElement().asString().startsWith("gateway.yaml:4:16: websocket")
                .contains("true or false");
        assertThat(problems("""
                routes:
                  - prefix: /ws
                    upstream: http://localhost:4005
                    websocket: true
                    websocket_idle_timeout: 0s
                """)).singleElement().asString().startsWith("gateway.yaml:5:29: websocket_idle_timeout");
        assertThat(problems("""
                routes:
                  - prefix: /ws
                    upstream: http://localhost:4005
                    websocket_idle_timeout: 1m
                """)).containsExactly("gateway.yaml:4:29: websocket_idle_timeout needs websocket: true on the same"
                + " route (at /routes/0/websocket_idle_timeout)");
    }
}
