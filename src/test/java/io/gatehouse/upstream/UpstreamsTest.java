package io.gatehouse.upstream;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.GatewayConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class UpstreamsTest {

    private static GatewayConfig config(String targets) throws Exception {
        return ConfigLoader.parse("""
                upstreams:
                  users:
                    targets: %s
                    circuit_breaker: { failures: 1 }
                routes:
                  - prefix: /users
                    upstream: users
                  - prefix: /inline
                    upstream: http://10.0.0.9:80
                """.formatted(targets), "gateway.yaml");
    }

    @Test
    void aReloadKeepsTheStateOfTargetsThatStayAndStartsNewOnesFresh() throws Exception {
        try (Upstreams registry = Upstreams.withoutChecks(() -> 0)) {
            Map<String, Upstream> first = registry.load(config("[http://10.0.0.1:80, http://10.0.0.2:80]"));
            Endpoint stays = first.get("users").endpoints().get(0);
            first.get("users").acquire(stays, 0).failed(0);
            assertThat(stays.breaker().state()).isEqualTo("open");

            Map<String, Upstream> second = registry.load(config("[http://10.0.0.1:80, http://10.0.0.3:80]"));

            assertThat(second.get("users")).isNotSameAs(first.get("users"));
            assertThat(second.get("users").endpoints().get(0)).isSameAs(stays);
            assertThat(stays.breaker().state()).isEqualTo("open");
            assertThat(second.get("users").endpoints().get(1).breaker().state()).isEqualTo("closed");
            assertThat(second).containsOnlyKeys("users", "/inline");
        }
    }
}
