package io.gatehouse.proxy;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code allow_ips}, {@code deny_ips} and {@code trusted_proxies} end to end, with clients on different loopback
 * addresses: 127.0.0.4 is the trusted proxy, every other address is a client.
 */
class IpRulesIT {

    private static GatewayFixture gateway;

    @BeforeAll
    static void start() {
        gateway = GatewayFixture.withBackend(TestBackend.ok("ok")).captureAccessLog().start(url -> GatewayYaml.standard()
                .block("trusted_proxies: [127.0.0.4]\n")
                .block("""
                        rate_limit:
                          policies:
                            per-ip: { limit: 2, window: 1m }
                        """)
                .openRoute("/allow", url, "allow_ips: [127.0.0.2, \"2001:db8::/32\"]", "deny_ips: [\"2001:db8::bad\"]")
                .openRoute("/deny", url, "deny_ips: [127.0.0.3/32]")
                .route("/keyed", url, "deny_ips: [127.0.0.3]")
                .openRoute("/per-ip", url, "rate_limit_by_ip: per-ip"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static Response from(String local, String target, String... headers) throws IOException {
        StringBuilder raw = new StringBuilder("GET ").append(target).append(" HTTP/1.1\r\nHost: gw\r\n");
        for (String header : headers) {
            raw.append(header).append("\r\n");
        }
        try (RawHttpClient client = new RawHttpClient(local, gateway.port())) {
            return client.send(raw.append("\r\n").toString()).read();
        }
    }

    private static void assertForbidden(Response response) {
        assertThat(response.status()).isEqualTo(403);
        assertThat(response.bodyText()).isEqualTo("{\"error\":\"Forbidden\"}");
    }

    @Test
    void anAllowListAdmitsOnlyItsAddresses() throws Exception {
        int before = gateway.backend().requests().size();
        assertThat(from("127.0.0.2", "/allow/x").status()).isEqualTo(200);
        assertForbidden(from("127.0.0.1", "/allow/x"));
        assertThat(gateway.backend().requests()).hasSize(before + 1);
    }

    @Test
    void aDenyListRefusesItsAddresses() throws Exception {
        assertForbidden(from("127.0.0.3", "/deny/x"));
        assertThat(from("127.0.0.1", "/deny/x").status()).isEqualTo(200);
    }

    @Test
    void ipRulesRunBeforeAuthentication() throws Exception {
        assertForbidden(from("127.0.0.3", "/keyed/x"));
        assertForbidden(from("127.0.0.3", "/keyed/x", "X-API-Key: " + GatewayYaml.KEY));
        assertThat(from("127.0.0.1", "/keyed/x").status()).isEqualTo(401);
    }

    @Test
    void aSpoofedForwardedForFromAnUntrustedPeerChangesNothing() throws Exception {
        assertForbidden(from("127.0.0.1", "/allow/x", "X-Forwarded-For: 127.0.0.2"));
        assertForbidden(from("127.0.0.3", "/deny/x", "X-Forwarded-For: 127.0.0.1"));
    }

    @Test
    void behindATrustedProxyTheForwardedClientCounts() throws Exception {
        assertThat(from("127.0.0.4", "/allow/x", "X-Forwarded-For: 127.0.0.9, 127.0.0.2").status()).isEqualTo(200);
        assertForbidden(from("127.0.0.4", "/allow/x", "X-Forwarded-For: 127.0.0.2, 127.0.0.1"));
        assertForbidden(from("127.0.0.4", "/deny/x", "X-Forwarded-For: 127.0.0.3"));
        assertThat(from("127.0.0.4", "/deny/x", "X-Forwarded-For: 127.0.0.3, 127.0.0.1").status()).isEqualTo(200);
    }

    @Test
    void ipv6ClientsBehindATrustedProxyAndDenyWins() throws Exception {
        assertThat(from("127.0.0.4", "/allow/x", "X-Forwarded-For: 2001:db8:1::7").status()).isEqualTo(200);
        assertForbidden(from("127.0.0.4", "/allow/x", "X-Forwarded-For: 2001:db8::bad"));
        assertForbidden(from("127.0.0.4", "/allow/x", "X-Forwarded-For: 2001:db9::1"));
    }

    @Test
    void anUnreadableForwardedForFromATrustedProxyIsRefusedWhereRulesApply() throws Exception {
        assertForbidden(from("127.0.0.4", "/deny/x", "X-Forwarded-For: not-an-ip"));
        assertThat(from("127.0.0.4", "/per-ip/x", "X-Forwarded-For: not-an-ip").status()).isEqualTo(200);
    }

    @Test
    void theAccessLogShowsTheClientFoundBehindTheProxy() throws Exception {
        Response proxied = from("127.0.0.4", "/allow/x", "X-Forwarded-For: 2001:db8::42");
        assertThat(gateway.accessLine(proxied.header("X-Request-Id"))).contains("client_ip=2001:db8:0:0:0:0:0:42");
        Response direct = from("127.0.0.2", "/allow/x", "X-Forwarded-For: 198.51.100.1");
        assertThat(gateway.accessLine(direct.header("X-Request-Id"))).contains("client_ip=127.0.0.2");
    }

    @Test
    void perIpLimitsCountTheClientBehindTheProxy() throws Exception {
        for (int i = 0; i < 2; i++) {
            assertThat(from("127.0.0.4", "/per-ip/x", "X-Forwarded-For: 198.51.100.20").status()).isEqualTo(200);
        }
        assertThat(from("127.0.0.4", "/per-ip/x", "X-Forwarded-For: 198.51.100.20").status()).isEqualTo(429);
        // Another client behind the same proxy has its own budget, and so has the proxy itself.
        assertThat(from("127.0.0.4", "/per-ip/x", "X-Forwarded-For: 198.51.100.21").status()).isEqualTo(200);
        assertThat(from("127.0.0.4", "/per-ip/x").status()).isEqualTo(200);
    }
}
