package io.gatehouse.auth.jwt;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jca.JCAContext;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyType;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.JWSVerifierFactory;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.ExpiredJWTException;
import io.gatehouse.auth.ApiClient;
import io.gatehouse.config.JwtProviderConfig;

import java.security.Key;
import java.security.PublicKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * Checks the bearer tokens of one provider: algorithm on the allow-list, a key of the current set that fits the
 * header (its {@code kid}, key type, curve, {@code alg} and {@code use}), the signature, then the claims — {@code exp}
 * required, {@code nbf} and {@code iat} honoured, {@code iss} exact, {@code aud} containing one of the audiences,
 * all with the clock skew. Nimbus does the parsing, the key selection over an {@link ImmutableJWKSet} and the
 * checks; its exceptions are mapped to a {@link JwtRejection} and never passed on, since their messages can quote
 * claims. One per provider per config snapshot; shared by every event loop, holds no per-request state.
 */
public final class JwtVerifier {

    /** Whether the key set has a key for a token's header. */
    public enum KeyMatch { FOUND, UNKNOWN, INCOMPATIBLE }

    /** A verified token: its client and claims. */
    public record Verified(ApiClient client, JWTClaimsSet claims) {
    }

    /** The result of {@link #verify}: exactly one of the two is set. */
    public record Outcome(Verified verified, JwtRejection rejection) {
        static Outcome rejected(JwtRejection why) {
            return new Outcome(null, why);
        }
    }

    private static final int MAX_IDENTITY = 256;
    private static final int MAX_HEADER_VALUE = 4096;
    private static final String IAT_AHEAD = "JWT issued in the future";

    private final JwtProviderConfig config;
    private final KeySource keys;
    private final Set<JWSAlgorithm> algorithms;
    private final ClaimsVerifier claims;
    private final Clock clock;
    private final JWSVerifierFactory verifiers = new VerifierFactory();
    private final AtomicReference<Compiled> compiled = new AtomicReference<>();

    /** A processor bound to one key set; rebuilt when the source hands out a new set. */
    private record Compiled(JWKSet set, DefaultJWTProcessor<SecurityContext> processor) {
    }

    public JwtVerifier(JwtProviderConfig config, KeySource keys, Clock clock) {
        this.config = config;
        this.keys = keys;
        Set<JWSAlgorithm> algs = new LinkedHashSet<>();
        config.algorithms().forEach(a -> algs.add(JWSAlgorithm.parse(a)));
        this.algorithms = Set.copyOf(algs);
        this.claims = new ClaimsVerifier(config, clock);
        this.clock = clock;
    }

    /** Now on the clock the claims are checked with, in epoch milliseconds. */
    public long nowMillis() {
        return clock.millis();
    }

    public String name() {
        return config.name();
    }

    public JwtProviderConfig config() {
        return config;
    }

    public KeySource keys() {
        return keys;
    }

    public boolean allows(JWSAlgorithm algorithm) {
        return algorithms.contains(algorithm);
    }

    /**
     * Whether the current set has a key for {@code header}: none with its {@code kid} (or, without one, none of
     * the right type) is {@code UNKNOWN}, worth a refetch; one with its {@code kid} whose type, curve, {@code alg}
     * or {@code use} disagrees with the header is {@code INCOMPATIBLE}, and no refetch will change that.
     */
    public KeyMatch match(JWSHeader header) {
        String kid = header.getKeyID();
        boolean named = false;
        for (JWK key : keys.keys().getKeys()) {
            if (kid != null && !kid.equals(key.getKeyID())) {
                continue;
            }
            named = true;
            if (fits(key, header.getAlgorithm())) {
                return KeyMatch.FOUND;
            }
        }
        return named && kid != null ? KeyMatch.INCOMPATIBLE : KeyMatch.UNKNOWN;
    }

    /** The key's type (and curve) is the algorithm's, and its own {@code alg} and {@code use}, if any, agree. */
    static boolean fits(JWK key, JWSAlgorithm alg) {
        if (key.getAlgorithm() != null && !key.getAlgorithm().getName().equals(alg.getName())
                || key.getKeyUse() != null && !KeyUse.SIGNATURE.equals(key.getKeyUse())) {
            return false;
        }
        if (JWSAlgorithm.Family.RSA.contains(alg)) {
            return KeyType.RSA.equals(key.getKeyType());
        }
        if (JWSAlgorithm.Family.EC.contains(alg)) {
            return key instanceof ECKey ec && Curve.forJWSAlgorithm(alg).contains(ec.getCurve());
        }
        if (JWSAlgorithm.EdDSA.equals(alg)) {
            return key instanceof OctetKeyPair okp && Curve.Ed25519.equals(okp.getCurve());
        }
        return false;
    }

    /** Checks the signature with the current set, then the claims; finds the client and its identity. */
    public Outcome verify(SignedJWT jwt) {
        JWTClaimsSet verifiedClaims;
        try {
            verifiedClaims = processor().process(jwt, null);
        } catch (BadJWTException e) {
            return Outcome.rejected(claimsRejection(e));
        } catch (BadJWSException e) {
            return Outcome.rejected(JwtRejection.BAD_SIGNATURE);
        } catch (BadJOSEException e) {
            return Outcome.rejected(e.getMessage() != null && e.getMessage().contains("no matching key")
                    ? JwtRejection.UNKNOWN_KEY : JwtRejection.MALFORMED);
        } catch (JOSEException e) {
            return Outcome.rejected(JwtRejection.BAD_SIGNATURE);
        } catch (RuntimeException e) {
            return Outcome.rejected(JwtRejection.MALFORMED);
        }
        Object identity = verifiedClaims.getClaim(config.clientClaim());
        if (identity == null) {
            return Outcome.rejected(JwtRejection.MISSING_CLAIM);
        }
        if (!(identity instanceof String id) || id.isEmpty() || id.length() > MAX_IDENTITY || !headerSafe(id)) {
            return Outcome.rejected(JwtRejection.INVALID_CLIENT_CLAIM);
        }
        return new Outcome(new Verified(ApiClient.jwt(config.name(), id, config.rateLimit()), verifiedClaims), null);
    }

    /**
     * The configured {@code claims_to_headers} of a verified token: strings as they are, arrays joined with
     * spaces, numbers and booleans as written. A claim that is absent, an object, or holds anything but printable
     * ASCII (a header cannot carry it safely) sets nothing.
     */
    public void claimHeaders(JWTClaimsSet verified, BiConsumer<String, String> header) {
        for (Map.Entry<String, String> entry : config.claimsToHeaders().entrySet()) {
            String value = headerValue(verified.getClaim(entry.getKey()));
            if (value != null && value.length() <= MAX_HEADER_VALUE && headerSafe(value)) {
                header.accept(entry.getValue(), value);
            }
        }
    }

    private static String headerValue(Object claim) {
        if (claim instanceof String || claim instanceof Number || claim instanceof Boolean) {
            return claim.toString();
        }
        if (claim instanceof List<?> list) {
            List<String> parts = new ArrayList<>();
            for (Object item : list) {
                if (!(item instanceof String || item instanceof Number || item instanceof Boolean)) {
                    return null;
                }
                parts.add(item.toString());
            }
            return String.join(" ", parts);
        }
        return null;
    }

    private static boolean headerSafe(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    private static JwtRejection claimsRejection(BadJWTException e) {
        if (e instanceof ExpiredJWTException) {
            return JwtRejection.EXPIRED;
        }
        String message = e.getMessage() == null ? "" : e.getMessage();
        if (message.startsWith("JWT before use time") || message.equals(IAT_AHEAD)) {
            return JwtRejection.NOT_YET_VALID;
        }
        if (message.startsWith("JWT aud claim") || message.startsWith("JWT missing required aud")) {
            return JwtRejection.WRONG_AUDIENCE;
        }
        if (message.startsWith("JWT iss claim")) {
            return JwtRejection.WRONG_ISSUER;
        }
        if (message.startsWith("JWT missing required claims")) {
            return JwtRejection.MISSING_CLAIM;
        }
        return JwtRejection.MALFORMED;
    }

    private DefaultJWTProcessor<SecurityContext> processor() {
        JWKSet set = keys.keys();
        Compiled current = compiled.get();
        if (current != null && current.set == set) {
            return current.processor;
        }
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        // RFC 9068 access tokens say at+jwt; ID-token style ones say JWT or nothing.
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT,
                new JOSEObjectType("at+jwt"), new JOSEObjectType("application/at+jwt"), null));
        JWSVerificationKeySelector<SecurityContext> standard =
                new JWSVerificationKeySelector<>(algorithms, new ImmutableJWKSet<>(set));
        JWSKeySelector<SecurityContext> selector = (header, context) -> JWSAlgorithm.EdDSA.equals(header.getAlgorithm())
                ? ed25519Keys(set, header) : standard.selectJWSKeys(header, context);
        processor.setJWSKeySelector(selector);
        processor.setJWSVerifierFactory(verifiers);
        processor.setJWTClaimsSetVerifier(claims);
        compiled.set(new Compiled(set, processor));
        return processor;
    }

    /** What {@link JWSVerificationKeySelector} does for the other algorithms: Nimbus cannot turn an OKP into a key. */
    private List<Key> ed25519Keys(JWKSet set, JWSHeader header) throws KeySourceException {
        List<Key> found = new ArrayList<>();
        if (!allows(JWSAlgorithm.EdDSA)) {
            return found;
        }
        for (JWK key : set.getKeys()) {
            if ((header.getKeyID() == null || header.getKeyID().equals(key.getKeyID()))
                    && fits(key, JWSAlgorithm.EdDSA)) {
                PublicKey publicKey = Ed25519Keys.publicKey((OctetKeyPair) key);
                if (publicKey != null) {
                    found.add(publicKey);
                }
            }
        }
        return found;
    }

    /** Nimbus's verifiers, and the JDK's Ed25519 for EdDSA. */
    private static final class VerifierFactory implements JWSVerifierFactory {
        private final DefaultJWSVerifierFactory standard = new DefaultJWSVerifierFactory();

        @Override
        public JWSVerifier createJWSVerifier(JWSHeader header, Key key) throws JOSEException {
            if (JWSAlgorithm.EdDSA.equals(header.getAlgorithm()) && key instanceof PublicKey publicKey) {
                return new Ed25519Keys.Verifier(publicKey);
            }
            return standard.createJWSVerifier(header, key);
        }

        @Override
        public Set<JWSAlgorithm> supportedJWSAlgorithms() {
            Set<JWSAlgorithm> all = new HashSet<>(standard.supportedJWSAlgorithms());
            all.add(JWSAlgorithm.EdDSA);
            return all;
        }

        @Override
        public JCAContext getJCAContext() {
            return standard.getJCAContext();
        }
    }

    /** Nimbus's claims checks with the configured clock and skew, and {@code iat} not in the future. */
    private static final class ClaimsVerifier extends DefaultJWTClaimsVerifier<SecurityContext> {
        private final Clock clock;

        ClaimsVerifier(JwtProviderConfig config, Clock clock) {
            super(new HashSet<>(config.audiences()), new JWTClaimsSet.Builder().issuer(config.issuer()).build(),
                    Set.of("exp"), null);
            this.clock = clock;
            setMaxClockSkew((int) config.clockSkew().toSeconds());
        }

        @Override
        protected Date currentTime() {
            return Date.from(clock.instant());
        }

        @Override
        public void verify(JWTClaimsSet claims, SecurityContext context) throws BadJWTException {
            super.verify(claims, context);
            Date issued = claims.getIssueTime();
            if (issued != null && issued.getTime() - getMaxClockSkew() * 1000L > currentTime().getTime()) {
                throw new BadJWTException(IAT_AHEAD);
            }
        }
    }
}
