package io.gatehouse.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.ratelimit.StructuredFieldsTest.SfItem;
import io.gatehouse.ratelimit.StructuredFieldsTest.SfListParser;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;

/**
 * Stacked policies end to end, over real sockets: the IETF and legacy headers on every response of a limited
 * client, problem+json on 429, all or nothing, per-IP limits, and counters kept across a reload. Every window is a
 * minute or more and no test waits for one to pass.
 */
class RateLimitPoliciesIT {

    private static final String PARTNER_KEY = "key_live_partner";
    private static final String POLICIES = """
            rate_limit:
              policies:
                burst:  { limit: 10, window: 60s }
                daily:  { limit: 3, window: 24h }
                search: { limit: 2, window: 1h }
                ip:     { limit: 2, window: 1h }
            """;

    private GatewayFixture gateway;
    private String backendUrl;
    private int closedPort;

    @BeforeEach
    void start() throws IOException {
        try (ServerSocket unused = new ServerSocket(0)) {
            closedPort = unused.getLocalPort();
        }
        gateway = GatewayFixture.withBackend((request, connection) -> {
            request.body();
            if (request.target().startsWith("/api/own")) {
                connection.respond(200, "own", "RateLimit: \"backend\";r=1;t=2", "X-RateLimit-Limit: 999",
                        "X-RateLimit-Remaining: 998");
            } else {
                connection.respond(200, "ok", "Content-Type: text/plain");
            }
        }).start(url -> yaml(url, POLICIES));
    }

    private GatewayYaml yaml(String url, String rateLimit) {
        backendUrl = url;
        return GatewayYaml.standard()
                .key(PARTNER_KEY, "partner", "policies: [burst, daily]")
                .block(rateLimit)
                .route("/api/search", url, "policies: [search]")
                .route("/api", url)
                .route("/down", "http://127.0.0.1:" + closedPort)
                .openRoute("/public", url, "rate_limit_by_ip: ip")
                .openRoute("/open", url);
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    @DisplayName("RateLimit and RateLimit-Policy: one item per applied policy, valid structured fields")
    void everyAppliedPolicyHasAnItemInTheIetfFieldsAndTheLegacyOnesDescribeTheTightest() throws Exception {
        Response first = partner("/api/x");

        assertThat(first.status()).isEqualTo(200);
        assertThat(first.headers("RateLimit-Policy")).containsExactly("\"burst\";q=10;w=60, \"daily\";q=3;w=86400");
        List<SfItem> limit = SfListParser.parse(first.header("RateLimit"));
        assertThat(limit).extracting(SfItem::value).containsExactly("burst", "daily");
        assertThat(limit).extracting(i -> i.params().get("r")).containsExactly(9L, 2L);
        assertThat(limit.get(0).params().get("t")).isBetween(60L, 63L);
        assertThat(limit.get(1).params().get("t")).isBetween(86_400L, 90_720L);
        // The legacy pair describe the policy with the least remaining: daily.
        assertThat(first.headers("X-RateLimit-Limit")).containsExactly("3");
        assertThat(first.headers("X-RateLimit-Remaining")).containsExactly("2");
    }

    @Test
    @DisplayName("All or nothing: burst fine but daily exhausted → 429, and the burst budget is untouched")
    void aRequestRefusedByTheDailyQuotaIsAProblemJson429AndSpendsNothingOfTheBurst() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(partner("/api/x").status()).isEqualTo(200);
        }
        int forwarded = gateway.requests().size();
        for (int i = 0; i < 5; i++) {
            Response refused = partner("/api/x");
            assertThat(refused.status()).isEqualTo(429);
            assertThat(refused.header("Content-Type")).isEqualTo("application/problem+json");
            assertThat(refused.bodyText()).isEqualTo("{\"type\":"
                    + "\"https://iana.org/assignments/http-problem-types#quota-exceeded\",\"title\":\"Rate limit"
                    + " exceeded\",\"status\":429,\"violated-policies\":[\"daily\"],\"error\":\"Rate limit exceeded\"}");
            List<SfItem> limit = SfListParser.parse(refused.header("RateLimit"));
            assertThat(limit).extracting(item -> item.params().get("r")).containsExactly(7L, 0L);
            long t = limit.get(1).params().get("t");
            assertThat(t).isPositive();
            assertThat(Long.parseLong(refused.header("Retry-After"))).isGreaterThanOrEqualTo(t);
        }
        assertThat(gateway.requests()).hasSize(forwarded);
    }

    @Test
    void aRoutesPolicyStacksOnTheClientsOwnAndNamesItselfWhenViolated() throws Exception {
        for (int i = 0; i < 2; i++) {
            Response ok = standard("/api/search/q");
            assertThat(ok.status()).isEqualTo(200);
            assertThat(SfListParser.parse(ok.header("RateLimit-Policy"))).extracting(SfItem::value)
                    .containsExactly("default", "search");
        }
        Response refused = standard("/api/search/q");
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.bodyText()).contains("\"violated-policies\":[\"search\"]");
        assertThat(standard("/api/x").status()).as("the client's own policy elsewhere").isEqualTo(200);
    }

    @Test
    @DisplayName("Headers on the gateway's own errors too")
    void theGatewaysOwnErrorsCarryTheRateLimitHeaders() throws Exception {
        Response down = partner("/down/x");

        assertThat(down.status()).isEqualTo(502);
        assertThat(down.header("RateLimit-Policy")).isEqualTo("\"burst\";q=10;w=60, \"daily\";q=3;w=86400");
        assertThat(SfListParser.parse(down.header("RateLimit"))).hasSize(2);
        assertThat(down.header("X-RateLimit-Remaining")).isEqualTo("2");
    }

    @Test
    @DisplayName("Headers a backend sends itself are kept; the gateway's items are appended")
    void aBackendsOwnRateLimitHeadersAreKeptAndOursAppended() throws Exception {
        Response own = partner("/api/own");

        assertThat(own.headers("RateLimit")).hasSize(1);
        List<SfItem> limit = SfListParser.parse(own.header("RateLimit"));
        assertThat(limit).extracting(SfItem::value).containsExactly("backend", "burst", "daily");
        assertThat(limit.get(0).params()).containsEntry("r", 1L).containsEntry("t", 2L);
        assertThat(own.headers("RateLimit-Policy")).containsExactly("\"burst\";q=10;w=60, \"daily\";q=3;w=86400");
        assertThat(own.headers("X-RateLimit-Limit")).containsExactly("999");
        assertThat(own.headers("X-RateLimit-Remaining")).containsExactly("998");
    }

    @Test
    @DisplayName("Per-IP: rate_limit_by_ip limits an open route per client IP")
    void anOpenRouteWithRateLimitByIpCountsEachClientIp() throws Exception {
        for (int i = 0; i < 2; i++) {
            assertThat(anonymous("127.0.0.1", "/public/a").status()).isEqualTo(200);
        }
        Response refused = anonymous("127.0.0.1", "/public/a");
        assertThat(refused.status()).isEqualTo(429);
        assertThat(refused.bodyText()).contains("\"violated-policies\":[\"ip\"]");
        assertThat(refused.header("RateLimit-Policy")).isEqualTo("\"ip\";q=2;w=3600");

        Response other = anonymous("127.0.0.2", "/public/a");
        assertThat(other.status()).as("another address has its own count").isEqualTo(200);
        assertThat(other.header("X-RateLimit-Remaining")).isEqualTo("1");
        Response open = anonymous("127.0.0.1", "/open/a");
        assertThat(open.status()).isEqualTo(200);
        assertThat(open.header("RateLimit")).as("an open route without a limit").isNull();
    }

    @Test
    @DisplayName("Reloads keep counters: an unchanged policy keeps its state, a changed one starts fresh")
    void aReloadKeepsTheCountersOfUnchangedPoliciesAndStartsChangedOnesFresh() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(partner("/api/x").status()).isEqualTo(200);
        }
        assertThat(partner("/api/x").status()).isEqualTo(429);

        // Another policy changes; burst and daily do not.
        reload(POLICIES.replace("search: { limit: 2, window: 1h }", "search: { limit: 5, window: 1h }"));
        Response kept = partner("/api/x");
        assertThat(kept.status()).isEqualTo(429);
        assertThat(SfListParser.parse(kept.header("RateLimit"))).extracting(i -> i.params().get("r"))
                .containsExactly(7L, 0L);

        // daily's limit changes: it starts fresh; burst keeps its count.
        reload(POLICIES.replace("daily:  { limit: 3, window: 24h }", "daily:  { limit: 4, window: 24h }"));
        Response fresh = partner("/api/x");
        assertThat(fresh.status()).isEqualTo(200);
        assertThat(SfListParser.parse(fresh.header("RateLimit"))).extracting(i -> i.params().get("r"))
                .containsExactly(6L, 3L);
    }

    private void reload(String rateLimit) throws Exception {
        gateway.gateway().server().reload(ConfigLoader.parse(yaml(backendUrl, rateLimit).build(), "reload.yaml"));
    }

    private Response partner(String path) throws IOException {
        return gateway.exchange("GET " + path + " HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + PARTNER_KEY + "\r\n\r\n");
    }

    private Response standard(String path) throws IOException {
        return gateway.exchange("GET " + path + " HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + GatewayYaml.KEY + "\r\n\r\n");
    }

    private Response anonymous(String from, String path) throws IOException {
        try (RawHttpClient client = new RawHttpClient(from, gateway.port())) {
            return client.send("GET " + path + " HTTP/1.1\r\nHost: gw\r\n\r\n").read();
        }
    }
}
