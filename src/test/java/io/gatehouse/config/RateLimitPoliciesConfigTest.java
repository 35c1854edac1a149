package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;

class RateLimitPoliciesConfigTest {

    private static final String ISSUE_EXAMPLE = """
            rate_limit:
              window: 60s
              headers: [legacy, ietf]
              policies:
                burst:  { limit: 20, window: 1s }
                hourly: { limit: 1000, window: 1h }
                daily:  { limit: 10000, window: 24h }
            auth:
              keys:
                - key: key_live_abc123
                  name: mobile-app
                  rate_limit: 100
                - key: key_live_partner
                  name: partner
                  policies: [burst, daily]
            routes:
              - prefix: /api/public
                upstream: http://localhost:4001
                auth: none
                rate_limit_by_ip: burst
              - prefix: /api/search
                upstream: http://localhost:4001
                policies: [burst]
            """;

    @Test
    void readsTheIssuesExample() throws Exception {
        GatewayConfig config = ConfigLoader.parse(ISSUE_EXAMPLE, "gateway.yaml");
        RateLimitConfig rl = config.rateLimit();

        assertThat(rl.window()).isEqualTo(Duration.ofSeconds(60));
        assertThat(rl.headers()).containsExactlyInAnyOrder(RateLimitHeaders.LEGACY, RateLimitHeaders.IETF);
        assertThat(rl.policies().values()).containsExactly(
                new RateLimitPolicyConfig("burst", 20, Duration.ofSeconds(1)),
                new RateLimitPolicyConfig("hourly", 1000, Duration.ofHours(1)),
                new RateLimitPolicyConfig("daily", 10000, Duration.ofHours(24)));
        assertThat(config.auth().keys()).extracting(ApiKeyConfig::rateLimit, ApiKeyConfig::policies)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(100L, List.of()),
                        org.assertj.core.groups.Tuple.tuple(0L, List.of("burst", "daily")));
        assertThat(rl.route("/api/public")).isEqualTo(new RouteRateLimitConfig(List.of(), "burst"));
        assertThat(rl.route("/api/search")).isEqualTo(new RouteRateLimitConfig(List.of("burst"), null));
        assertThat(rl.route("/elsewhere")).isEqualTo(RouteRateLimitConfig.NONE);
    }

    @Test
    void todaysFormMeansTheDefaultPolicyAndBothKindsOfHeaders() throws Exception {
        GatewayConfig config = ConfigLoader.parse("""
                rate_limit:
                  window: 500ms
                auth:
                  keys:
                    - key: k
                      name: c
                      rate_limit: 7
                routes:
                  - prefix: /api
                    upstream: http://localhost:4001
                """, "gateway.yaml");

        assertThat(config.rateLimit().headers()).isEqualTo(Set.of(RateLimitHeaders.LEGACY, RateLimitHeaders.IETF));
        assertThat(config.rateLimit().policies()).isEmpty();
        assertThat(config.rateLimit().window()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.auth().keys().get(0).policies()).isEmpty();
    }

    @Test
    void headersMayBeOneKindOrNone() throws Exception {
        assertThat(ConfigLoader.parse("rate_limit:\n  headers: ietf\nroutes:\n  - prefix: /a\n    upstream: http://h\n",
                "g.yaml").rateLimit().headers()).containsExactly(RateLimitHeaders.IETF);
        assertThat(ConfigLoader.parse("rate_limit:\n  headers: []\nroutes:\n  - prefix: /a\n    upstream: http://h\n",
                "g.yaml").rateLimit().headers()).isEmpty();
    }

    @Test
    void aKeyMayHaveBothItsDefaultLimitAndNamedPolicies() throws Exception {
        GatewayConfig config = ConfigLoader.parse(ISSUE_EXAMPLE.replace("policies: [burst, daily]",
                "policies: [burst, daily]\n      rate_limit: 5"), "gateway.yaml");
        assertThat(config.auth().keys().get(1).rateLimit()).isEqualTo(5);
    }

    @Test
    void reportsAKeyNamingAnUnknownPolicyWithoutRepeatingTheName() {
        assertThat(problems(ISSUE_EXAMPLE.replace("policies: [burst, daily]", "policies: [burst, key_live_x]")))
                .containsExactly("gateway.yaml:15:25: unknown rate-limit policy: rate_limit.policies has no such"
                        + " entry (defined are burst, hourly, daily) (at /auth/keys/1/policies/1)");
    }

    @Test
    void reportsARouteNamingAnUnknownPolicy() {
        assertThat(problems(ISSUE_EXAMPLE.replace("policies: [burst]", "policies: [bursty]"))).containsExactly(
                "gateway.yaml:23:16: unknown rate-limit policy 'bursty': rate_limit.policies has no such entry"
                        + " (defined are burst, hourly, daily) (at /routes/1/policies/0)");
        assertThat(problems(ISSUE_EXAMPLE.replace("rate_limit_by_ip: burst", "rate_limit_by_ip: nope")))
                .containsExactly("gateway.yaml:20:23: unknown rate-limit policy 'nope': rate_limit.policies has no"
                        + " such entry (defined are burst, hourly, daily) (at /routes/0/rate_limit_by_ip)");
    }

    @Test
    void reportsAWindowUnderOneSecondOrOverThirtyOneDays() {
        assertThat(problems(ISSUE_EXAMPLE.replace("window: 1s }", "window: 999ms }"))).containsExactly(
                "gateway.yaml:5:34: window must be between 1s and 744h, got 999ms (at /rate_limit/policies/burst/window)");
        assertThat(problems(ISSUE_EXAMPLE.replace("window: 24h }", "window: 745h }"))).containsExactly(
                "gateway.yaml:7:37: window must be between 1s and 744h, got 745h (at /rate_limit/policies/daily/window)");
    }

    @Test
    void reportsALimitOfZero() {
        assertThat(problems(ISSUE_EXAMPLE.replace("limit: 20,", "limit: 0,"))).containsExactly(
                "gateway.yaml:5:22: limit must be between 1 and 1000000000, got 0 (at /rate_limit/policies/burst/limit)");
    }

    @Test
    void reportsRoutePoliciesOnAnOpenRouteWithoutRateLimitByIp() {
        assertThat(problems(ISSUE_EXAMPLE.replace("policies: [burst]", "policies: [burst]\n    auth: none")))
                .containsExactly("gateway.yaml:23:15: policies on an auth: none route need rate_limit_by_ip: without"
                        + " a client there is nothing to count them against (at /routes/1/policies)");
    }

    @Test
    void reportsRateLimitByIpOnAKeyedRoute() {
        assertThat(problems(ISSUE_EXAMPLE.replace("    auth: none\n", ""))).containsExactly(
                "gateway.yaml:19:23: rate_limit_by_ip is for auth: none routes; a route with keys limits each client"
                        + " by its key (add the policy to the route's policies instead) (at /routes/0/rate_limit_by_ip)");
    }

    @Test
    void reportsBadPolicyNamesAndMissingOrUnknownPolicyKeys() {
        assertThat(problems("""
                rate_limit:
                  headers: [legacy, ieft]
                  policies:
                    default: { limit: 1, window: 1s }
                    9lives: { limit: 1, window: 1s }
                    short: { limit: 1 }
                    typo: { limit: 1, window: 1s, windw: 2s }
                    flat: 5
                routes:
                  - prefix: /a
                    upstream: http://h
                """)).containsExactly(
                "gateway.yaml:2:21: headers entries must each be legacy (X-RateLimit-*) or ietf (RateLimit,"
                        + " RateLimit-Policy), got 'ieft' (at /rate_limit/headers/1)",
                "gateway.yaml:4:5: 'default' is the policy of a key's rate_limit: N and rate_limit.window; give this"
                        + " policy another name (at /rate_limit/policies/default)",
                "gateway.yaml:5:5: policy names must start with a letter and contain only letters, digits and - _ ."
                        + " (at most 64), got '9lives' (at /rate_limit/policies/9lives)",
                "gateway.yaml:6:12: missing required key 'window' (at /rate_limit/policies/short/window)",
                "gateway.yaml:7:35: unknown key 'windw'; did you mean 'window'? (at /rate_limit/policies/typo/windw)",
                "gateway.yaml:8:11: policy flat must be a mapping like {limit: 20, window: 1s}, got the number 5"
                        + " (at /rate_limit/policies/flat)");
    }

    @Test
    void reportsAKeyWithNeitherALimitNorPoliciesAndAPolicyNamedTwice() {
        assertThat(problems(ISSUE_EXAMPLE.replace("      rate_limit: 100\n", "")
                .replace("policies: [burst, daily]", "policies: [burst, burst]"))).containsExactly(
                "gateway.yaml:10:7: missing required key 'rate_limit' (at /auth/keys/0/rate_limit)",
                "gateway.yaml:14:25: policies names the same policy twice (at /auth/keys/1/policies/1)");
    }

    private static List<String> problems(String yaml) {
        try {
            ConfigLoader.parse(yaml, "gateway.yaml");
        } catch (ConfigException e) {
            return e.problems();
        }
        return fail("expected a ConfigException for:\n" + yaml);
    }
}
