import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * Keys and tokens for scripts/bench's jwt part: writes DIR/jwks.json (an RSA 2048 and an EC P-256 public key) and
 * DIR/rs256.token, DIR/es256.token, valid for a day, issuer https://bench.example/, audience bench-api.
 * Run with the Gatehouse jar on the class path: java -cp target/gatehouse.jar scripts/JwtTokens.java DIR
 */
public final class JwtTokens {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        RSAKey rsa = new RSAKeyGenerator(2048).keyID("bench-rsa").generate();
        ECKey ec = new ECKeyGenerator(Curve.P_256).keyID("bench-ec").generate();
        Files.writeString(dir.resolve("jwks.json"), new JWKSet(List.of(rsa, ec)).toPublicJWKSet().toString());
        Instant now = Instant.now();
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer("https://bench.example/").audience("bench-api")
                .subject("bench-user").claim("scope", "orders:read").issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofDays(1)))).build();
        SignedJWT rs = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("bench-rsa").build(), claims);
        rs.sign(new RSASSASigner(rsa));
        SignedJWT es = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("bench-ec").build(), claims);
        es.sign(new ECDSASigner(ec));
        Files.writeString(dir.resolve("rs256.token"), rs.serialize());
        Files.writeString(dir.resolve("es256.token"), es.serialize());
    }
}
