package io.gatehouse.proxy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.JwksServer;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import io.gatehouse.testing.Tokens;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The first key-set fetch and the admin listener's {@code /ready}: a slow identity provider, and one that is down. */
class JwksReadinessIT {

    private static final RSAKey K1 = Tokens.rsa("k1");

    private static GatewayFixture gateway(JwksServer jwks) {
        return GatewayFixture.withBackend(TestBackend.ok("ok")).start(url -> GatewayYaml.loopback()
                .block("admin:\n  port: 0\n")
                .jwt("""
                        corp:
                          issuer: %s
                          audiences: [%s]
                          algorithms: [RS256]
                          jwks_url: %s
                        """.formatted(Tokens.ISSUER, Tokens.AUDIENCE, jwks.url()))
                .route("/api", url, "auth: jwt"));
    }

    private static int ready(GatewayFixture gateway) {
        try (RawHttpClient client = new RawHttpClient(gateway.gateway().server().adminPort())) {
            return client.send("GET /ready HTTP/1.1\r\nHost: admin\r\n\r\n").read().status();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void notReadyUntilASlowFirstFetchEndsAndRequestsMeanwhileWaitAtMostTheRefetchBound() throws Exception {
        try (JwksServer jwks = new JwksServer("{}").serve(Tokens.jwks(K1), null, 5000);
             GatewayFixture gateway = gateway(jwks)) {
            assertThat(ready(gateway)).isEqualTo(503);
            String token = Tokens.sign(K1, JWSAlgorithm.RS256);
            // Joins the first fetch, which takes longer than a request may wait: refused, not hung.
            Response early = gateway.exchange("GET /api/x HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + token
                    + "\r\n\r\n");
            assertThat(early.status()).isEqualTo(401);
            assertThat(early.header("WWW-Authenticate")).contains("unknown key");
            Await.until(Duration.ofSeconds(20), "/ready after the first fetch", () -> ready(gateway) == 200);
            assertThat(gateway.exchange("GET /api/x HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + token
                    + "\r\n\r\n").status()).isEqualTo(200);
            assertThat(jwks.fetches()).isEqualTo(1);
        }
    }

    @Test
    void aFailedFirstFetchMakesTheGatewayReadyAndItsTokensAreRefused() throws Exception {
        try (JwksServer jwks = new JwksServer("{}").down(); GatewayFixture gateway = gateway(jwks)) {
            Await.until(Duration.ofSeconds(20), "/ready after the failed fetch", () -> ready(gateway) == 200);
            Response refused = gateway.exchange("GET /api/x HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer "
                    + Tokens.sign(K1, JWSAlgorithm.RS256) + "\r\n\r\n");
            assertThat(refused.status()).isEqualTo(401);
        }
    }
}
