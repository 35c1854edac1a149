package io.gatehouse.config;

import io.gatehouse.config.RetryConfig.Outcome;
import io.gatehouse.config.UpstreamConfig.Balance;
import io.gatehouse.config.UpstreamConfig.Target;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class UpstreamsConfigTest {

    private static final String FULL = """
            upstreams:
              users:
                targets:
                  - http://127.0.0.1:4001
                  - { url: http://127.0.0.1:4011, weight: 3 }
                balance: round_robin
                health_check:
                  path: /healthz
                  interval: 2s
                  timeout: 500ms
                  healthy_after: 1
                  unhealthy_after: 4
                  expect: 200-299
                circuit_breaker:
                  failures: 7
                  failure_statuses: [500, 503]
                  open_for: 10s
                  max_open_for: 1m
                  half_open_requests: 2
                max_requests: 50
                retries:
                  attempts: 2
                  on: [connect_failure, timeout, 503]
                  budget: 30%
            routes:
              - prefix: /api/users
                upstream: users
              - prefix: /api/orders
                upstream: [http://127.0.0.1:4002, http://127.0.0.1:4003]
            """;

    @Test
    void readsEveryKeyOfAnUpstream() throws Exception {
        GatewayConfig config = ConfigLoader.parse(FULL, "gateway.yaml");

        UpstreamConfig users = config.upstreams().get("users");
        assertThat(users).isEqualTo(new UpstreamConfig("users",
                List.of(new Target(URI.create("http://127.0.0.1:4001"), 1),
                        new Target(URI.create("http://127.0.0.1:4011"), 3)),
                Balance.ROUND_ROBIN,
                new HealthCheckConfig("/healthz", Duration.ofSeconds(2), Duration.ofMillis(500), 1, 4, 200, 299),
                new CircuitBreakerConfig(true, 7, Set.of(500, 503), Duration.ofSeconds(10), Duration.ofMinutes(1), 2),
                50,
                new RetryConfig(2, Set.of(Outcome.CONNECT_FAILURE, Outcome.TIMEOUT), Set.of(503), 30),
                false));
        assertThat(config.routes().get(0).upstream()).isSameAs(users);
    }

    @Test
    void inlineUrlsGetAnUpstreamWithTheDefaults() throws Exception {
        UpstreamConfig orders = ConfigLoader.parse(FULL, "gateway.yaml").routes().get(1).upstream();

        assertThat(orders.inline()).isTrue();
        assertThat(orders.name()).isEqualTo("/api/orders");
        assertThat(orders.balance()).isEqualTo(Balance.LEAST_REQUEST);
        assertThat(orders.healthCheck()).isNull();
        assertThat(orders.circuitBreaker()).isEqualTo(CircuitBreakerConfig.defaults());
        assertThat(orders.retries()).isEqualTo(new RetryConfig(1, Set.of(Outcome.CONNECT_FAILURE, Outcome.RESET),
                Set.of(502, 503, 504), 20));
        assertThat(orders.maxRequests()).isEqualTo(1024);
    }

    @Test
    void aHealthCheckBlockTakesItsDefaults() throws Exception {
        GatewayConfig config = ConfigLoader.parse("""
                upstreams:
                  svc:
                    targets: http://127.0.0.1:4001
                    health_check: { path: /health }
                routes:
                  - prefix: /a
                    upstream: svc
                """, "gateway.yaml");

        assertThat(config.upstreams().get("svc").healthCheck()).isEqualTo(new HealthCheckConfig("/health",
                Duration.ofSeconds(5), Duration.ofSeconds(1), 2, 3, 200, 399));
    }

    @Test
    void aRouteNamingAnUpstreamThatDoesNotExist() {
        assertThat(problems("""
                upstreams:
                  users:
                    targets: [http://127.0.0.1:4001]
                routes:
                  - prefix: /a
                    upstream: usres
                """)).containsExactly("gateway.yaml:6:15: upstream 'usres' is neither a URL nor the name of an entry"
                + " of upstreams (users) (at /routes/0/upstream)");
    }

    @Test
    void reportsEachBadValueWithItsLine() {
        assertThat(problems("""
                upstreams:
                  users:
                    targets:
                      - { url: http://127.0.0.1:4001, weight: 101 }
                      - http://127.0.0.1:4001
                      - ftp://x
                    balance: random
                    health_check:
                      healthy_after: 0
                      expect: 200-
                    circuit_breaker:
                      failure_statuses: [404]
                      open_for: 1m
                      max_open_for: 30s
                    retries:
                      on: [reset, sometimes]
                      budget: 120%
                    colour: blue
                  "bad name!":
                    targets: http://127.0.0.1:1
                routes:
                  - prefix: /a
                    upstream: users
                """)).containsExactly(
                "gateway.yaml:4:47: weight must be between 1 and 100, got 101 (at /upstreams/users/targets/0/weight)",
                "gateway.yaml:5:9: target http://127.0.0.1:4001 is listed twice (first at line 4)"
                        + " (at /upstreams/users/targets/1)",
                "gateway.yaml:6:9: upstream must be an http:// or https:// URL like http://localhost:4001, got 'ftp://x'"
                        + " (at /upstreams/users/targets/2)",
                "gateway.yaml:7:14: balance must be least_request or round_robin, got 'random'"
                        + " (at /upstreams/users/balance)",
                "gateway.yaml:9:22: healthy_after must be between 1 and 100, got 0"
                        + " (at /upstreams/users/health_check/healthy_after)",
                "gateway.yaml:10:15: expect must be a status range NNN-NNN like 200-399, got '200-'"
                        + " (at /upstreams/users/health_check/expect)",
                "gateway.yaml:12:26: failure_statuses entries must be between 500 and 599, got 404"
                        + " (at /upstreams/users/circuit_breaker/failure_statuses/0)",
                "gateway.yaml:14:21: max_open_for (30s) must not be shorter than open_for (60s)"
                        + " (at /upstreams/users/circuit_breaker/max_open_for)",
                "gateway.yaml:16:19: retries on entries must be connect_failure, reset, timeout or a status 400-599,"
                        + " got 'sometimes' (at /upstreams/users/retries/on/1)",
                "gateway.yaml:17:15: budget must be a percentage from 0% to 100%, like 20%, got '120%'"
                        + " (at /upstreams/users/retries/budget)",
                "gateway.yaml:18:5: unknown key 'colour'; allowed keys are targets, balance, health_check,"
                        + " circuit_breaker, max_requests, retries, tls (at /upstreams/users/colour)",
                "gateway.yaml:19:3: upstream name 'bad name!' must be 1 to 64 letters, digits, '_', '-' or '.'"
                        + " (at /upstreams/bad name!)");
    }

    @Test
    void aTargetListedTwice() {
        assertThat(problems("""
                upstreams:
                  users:
                    targets: [http://127.0.0.1:4001, http://127.0.0.1:4001/]
                routes:
                  - prefix: /a
                    upstream: users
                """)).containsExactly("gateway.yaml:3:38: target http://127.0.0.1:4001 is listed twice (first at"
                + " line 3) (at /upstreams/users/targets/1)");
    }

    private static List<String> problems(String yaml) {
        return ConfigProblems.of(yaml);
    }

    @Test
    void readsAnUpstreamsTlsAndRefusesWhatCannotWork(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        io.gatehouse.testing.TestCertificates ca = io.gatehouse.testing.TestCertificates.authority();
        java.nio.file.Path caFile = ca.writeAuthority(dir);
        String good = """
                upstreams:
                  secure:
                    targets: [https://10.0.0.5:8443]
                    tls:
                      ca: %s
                      server_name: api.internal
                      verify: true
                routes:
                  - prefix: /api
                    upstream: secure
                """.formatted(caFile);
        BackendTlsConfig tls = ConfigLoader.parse(good, "gateway.yaml", java.util.Map.of()).routes().get(0)
                .upstream().tls();
        assertThat(tls.ca()).hasSize(1);
        assertThat(tls.caFile()).isEqualTo(caFile);
        assertThat(tls.serverName()).isEqualTo("api.internal");
        assertThat(tls.verify()).isTrue();

        java.util.List<String> problems = problemsOf("""
                upstreams:
                  plain:
                    targets: [http://10.0.0.5:8080]
                    tls: {verify: false}
                  named:
                    targets: [https://10.0.0.6:8443]
                    tls: {server_name: "not a name", ca: %s}
                routes:
                  - prefix: /api
                    upstream: plain
                  - prefix: /other
                    upstream: named
                """.formatted(dir.resolve("missing.pem")));
        assertThat(problems).containsExactly(
                "gateway.yaml:4:10: tls applies to https:// targets, and upstream 'plain' has none (at /upstreams/plain/tls)",
                "gateway.yaml:7:24: server_name must be a DNS host name like api.internal, got 'not a name'"
                        + " (at /upstreams/named/tls/server_name)",
                "gateway.yaml:7:42: ca " + dir.resolve("missing.pem") + " cannot be read: no such file"
                        + " (at /upstreams/named/tls/ca)");
    }

    private static java.util.List<String> problemsOf(String yaml) {
        try {
            ConfigLoader.parse(yaml, "gateway.yaml", java.util.Map.of());
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected problems for\n" + yaml);
    }
}
