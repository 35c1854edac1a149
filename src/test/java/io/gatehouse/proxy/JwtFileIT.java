package io.gatehouse.proxy;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.RSAKey;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.TestBackend;
import io.gatehouse.testing.Tokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A provider whose keys are a {@code jwks_file}: read at load, read again by a reload, never fetched. */
class JwtFileIT {

    @TempDir
    Path dir;

    @Test
    void theKeyFileIsReadAgainWhenTheConfigIsReloaded() throws Exception {
        RSAKey k1 = Tokens.rsa("k1");
        RSAKey k2 = Tokens.rsa("k2");
        Path keys = dir.resolve("jwks.json");
        Files.writeString(keys, Tokens.jwks(k1));
        try (GatewayFixture gateway = GatewayFixture.withBackend(TestBackend.ok("ok")).start(url -> GatewayYaml.loopback()
                .jwt("""
                        files:
                          issuer: %s
                          audiences: [%s]
                          algorithms: [RS256]
                          jwks_file: %s
                        """.formatted(Tokens.ISSUER, Tokens.AUDIENCE, keys))
                .route("/api", url, "auth: jwt"))) {
            assertThat(status(gateway, Tokens.sign(k1, JWSAlgorithm.RS256))).isEqualTo(200);
            assertThat(status(gateway, Tokens.sign(k2, JWSAlgorithm.RS256))).isEqualTo(401);

            Files.writeString(keys, Tokens.jwks(k2));
            String yaml = GatewayYaml.loopback().jwt("""
                    files:
                      issuer: %s
                      audiences: [%s]
                      algorithms: [RS256]
                      jwks_file: %s
                    """.formatted(Tokens.ISSUER, Tokens.AUDIENCE, keys))
                    .route("/api", "http://127.0.0.1:" + gateway.backend().port(), "auth: jwt").build();
            gateway.gateway().server().reload(ConfigLoader.parse(yaml, "gateway.yaml"));
            assertThat(status(gateway, Tokens.sign(k2, JWSAlgorithm.RS256))).isEqualTo(200);
            assertThat(status(gateway, Tokens.sign(k1, JWSAlgorithm.RS256))).isEqualTo(401);
        }
    }

    private static int status(GatewayFixture gateway, String token) throws Exception {
        return gateway.exchange("GET /api/x HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + token + "\r\n\r\n")
                .status();
    }
}
