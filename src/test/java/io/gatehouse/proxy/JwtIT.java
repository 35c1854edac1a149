package io.gatehouse.proxy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.JwksServer;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import io.gatehouse.testing.Tokens;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bearer tokens end to end: a gateway whose provider's keys come from a JWKS server in the test (WireMock) that
 * rotates keys, goes down and counts its fetches, in front of a backend that shows what it received.
 */
class JwtIT {

    private static final RSAKey K1 = Tokens.rsa("k1");
    private static final ECKey EC = Tokens.ec("ec1", Curve.P_256);
    private static final OctetKeyPair ED = Tokens.ed25519("ed1");

    private static JwksServer jwks;
    private static GatewayFixture gateway;

    @BeforeAll
    static void start() {
        jwks = new JwksServer(Tokens.jwks(K1, EC, ED));
        gateway = GatewayFixture.withBackend(TestBackend.ok("ok")).captureAccessLog().start(url -> GatewayYaml.standard()
                .jwt("""
                        corp:
                          issuer: %s
                          audiences: [%s]
                          algorithms: [RS256, ES256, EdDSA]
                          jwks_url: %s
                          rate_limit: 3
                          claims_to_headers: { sub: X-Auth-Subject, scope: X-Auth-Scope }
                        """.formatted(Tokens.ISSUER, Tokens.AUDIENCE, jwks.url()))
                .route("/api/orders", url, "auth: jwt")
                .route("/api/either", url, "auth: api_key_or_jwt"));
        gateway.gateway().server().jwtProviders().awaitReady(Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        jwks.close();
    }

    private static String as(String subject) {
        return Tokens.sign(K1, JWSAlgorithm.RS256, c -> c.subject(subject).claim("scope", "orders:read"));
    }

    private static Response get(String target, String... headers) throws Exception {
        return gateway.exchange("GET " + target + " HTTP/1.1\r\nHost: gw\r\n" + String.join("", headers) + "\r\n");
    }

    private static String bearer(String token) {
        return "Authorization: Bearer " + token + "\r\n";
    }

    @Test
    void aValidTokenReachesTheBackendWithItsClientAndClaims() throws Exception {
        String token = as("alice");
        Response response = get("/api/orders/1", bearer(token), "X-Client-Name: root\r\n",
                "X-Auth-Subject: spoofed\r\n");
        assertThat(response.status()).isEqualTo(200);
        TestBackend.Request seen = gateway.lastRequest();
        assertThat(seen.headers("X-Client-Name")).containsExactly("alice");
        assertThat(seen.headers("X-Auth-Subject")).containsExactly("alice");
        assertThat(seen.headers("X-Auth-Scope")).containsExactly("orders:read");
        assertThat(seen.headers("Authorization")).containsExactly("Bearer " + token);
        String line = gateway.accessLine(response.header("X-Request-Id"));
        assertThat(line).contains("[alice]").doesNotContain(token.substring(0, 30));
    }

    @Test
    void ecAndEd25519TokensToo() throws Exception {
        assertThat(get("/api/orders/1", bearer(Tokens.sign(EC, JWSAlgorithm.ES256))).status()).isEqualTo(200);
        assertThat(get("/api/orders/1", bearer(Tokens.sign(ED, JWSAlgorithm.EdDSA))).status()).isEqualTo(200);
    }

    @Test
    void missingAndInvalidTokensAre401AndNothingIsForwarded() throws Exception {
        int before = gateway.backend().requests().size();
        Response missing = get("/api/orders/1");
        assertThat(missing.status()).isEqualTo(401);
        assertThat(missing.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"gatehouse\"");
        assertThat(missing.header("Content-Type")).isEqualTo("application/json");
        Response expired = get("/api/orders/1", bearer(Tokens.sign(K1, JWSAlgorithm.RS256,
                c -> c.expirationTime(new java.util.Date(System.currentTimeMillis() - 3_600_000)))));
        assertThat(expired.status()).isEqualTo(401);
        assertThat(expired.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"gatehouse\", error=\"invalid_token\","
                + " error_description=\"expired\"");
        assertThat(expired.bodyText()).isEqualTo("{\"error\":\"Invalid bearer token: expired\"}");
        assertThat(gateway.backend().requests()).hasSize(before);
    }

    @Test
    void apiKeyOrJwtPrefersTheKeyAndNeverForwardsIt() throws Exception {
        assertThat(get("/api/either/1", bearer(as("bob")), "X-API-Key: " + GatewayYaml.KEY + "\r\n").status())
                .isEqualTo(200);
        TestBackend.Request seen = gateway.lastRequest();
        assertThat(seen.headers("X-Client-Name")).containsExactly(GatewayYaml.CLIENT);
        assertThat(seen.headers("X-API-Key")).isEmpty();
        assertThat(get("/api/either/1", bearer(as("bob"))).status()).isEqualTo(200);
        assertThat(gateway.lastRequest().headers("X-Client-Name")).containsExactly("bob");
    }

    @Test
    void eachIdentityHasTheProvidersLimitWithTheUsualHeaders() throws Exception {
        String carol = as("carol-" + UUID.randomUUID());
        for (int i = 0; i < 3; i++) {
            Response ok = get("/api/orders/1", bearer(carol));
            assertThat(ok.status()).isEqualTo(200);
            assertThat(ok.header("X-RateLimit-Limit")).isEqualTo("3");
        }
        Response limited = get("/api/orders/1", bearer(carol));
        assertThat(limited.status()).isEqualTo(429);
        assertThat(limited.header("Retry-After")).isNotNull();
        assertThat(get("/api/orders/1", bearer(as("dave-" + UUID.randomUUID()))).status()).isEqualTo(200);
    }

    @Test
    void rotationAtTheIdpIsPickedUpOnFirstUseAndRandomKidsCannotHammerIt() throws Exception {
        RSAKey k2 = Tokens.rsa("k2");
        jwks.serve(Tokens.jwks(K1, k2, EC, ED));
        int fetches = jwks.fetches();
        // The old key works without a fetch; the new one on first use, with exactly one.
        assertThat(get("/api/orders/1", bearer(as("erin"))).status()).isEqualTo(200);
        assertThat(jwks.fetches()).isEqualTo(fetches);
        assertThat(get("/api/orders/1", bearer(Tokens.sign(k2, JWSAlgorithm.RS256,
                c -> c.subject("erin-2")))).status()).isEqualTo(200);
        assertThat(jwks.fetches()).isEqualTo(fetches + 1);
        assertThat(get("/api/orders/1", bearer(as("erin-3"))).status()).isEqualTo(200);
        // A thousand random kids within the refetch interval: not one more fetch.
        try (RawHttpClient client = gateway.client()) {
            for (int i = 0; i < 1000; i++) {
                String kid = UUID.randomUUID().toString();
                String token = Tokens.sign(k2, new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(kid).build(), c -> { });
                Response refused = client.send("GET /api/orders/1 HTTP/1.1\r\nHost: gw\r\n" + bearer(token) + "\r\n")
                        .read();
                assertThat(refused.status()).isEqualTo(401);
                assertThat(refused.header("WWW-Authenticate")).contains("error_description=\"unknown key\"");
            }
        }
        assertThat(jwks.fetches()).isEqualTo(fetches + 1);
        // The IdP goes down: the keys it gave keep working.
        jwks.down();
        assertThat(get("/api/orders/1", bearer(as("erin-4"))).status()).isEqualTo(200);
        assertThat(get("/api/orders/1", bearer(Tokens.sign(k2, JWSAlgorithm.RS256,
                c -> c.subject("erin-5")))).status()).isEqualTo(200);
        jwks.serve(Tokens.jwks(K1, k2, EC, ED));
    }
}
