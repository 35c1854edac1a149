package io.gatehouse.pipeline;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import io.gatehouse.auth.jwt.JwtVerifier;
import io.gatehouse.auth.jwt.KeySource;
import io.gatehouse.auth.jwt.VerifiedTokens;
import io.gatehouse.config.JwtProviderConfig;
import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.exchange.Verdict;
import io.gatehouse.testing.Tokens;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

import static io.gatehouse.testing.HttpFixtures.CLIENT;
import static io.gatehouse.testing.HttpFixtures.KEY;
import static io.gatehouse.testing.HttpFixtures.config;
import static io.gatehouse.testing.HttpFixtures.exchange;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bearer-token check of a {@code auth: jwt} route, on exchanges and without a channel: where the token comes
 * from, every reason a token is refused (as {@code error_description}), algorithm confusion, claims, the headers the
 * backend gets, and {@code api_key_or_jwt}.
 */
class JwtFilterTest {

    private static final RuntimeConfig CONFIG = config();
    private static final RSAKey RSA = Tokens.rsa("rsa-1");
    private static final RSAKey OTHER_RSA = Tokens.rsa("rsa-1");
    private static final ECKey EC256 = Tokens.ec("ec-256", Curve.P_256);
    private static final ECKey EC384 = Tokens.ec("ec-384", Curve.P_384);
    private static final OctetKeyPair ED = Tokens.ed25519("ed-1");
    private static final JWKSet KEYS = new JWKSet(List.of(RSA, EC256, EC384, ED)).toPublicJWKSet();
    private static final List<String> ALL = List.of("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA");

    private static JwtProviderConfig provider(List<String> algorithms, Map<String, String> headers) {
        return new JwtProviderConfig("corp", Tokens.ISSUER, List.of(Tokens.AUDIENCE, "other-api"), algorithms, null,
                java.nio.file.Path.of("keys.json"), "{}", JwtProviderConfig.DEFAULT_REFRESH, Duration.ofSeconds(30),
                "sub", 100, headers);
    }

    private static JwtFilter filter(KeySource keys) {
        return new JwtFilter(List.of(new JwtVerifier(provider(ALL,
                Map.of("sub", "X-Auth-Subject", "scope", "X-Auth-Scope", "roles", "X-Auth-Roles")), keys,
                Clock.systemUTC())), null, "X-API-Key");
    }

    private final JwtFilter filter = filter(KeySource.fixed(KEYS));

    private static Exchange bearer(String token, String... more) {
        String[] headers = new String[more.length + 2];
        headers[0] = "Authorization";
        headers[1] = "Bearer " + token;
        System.arraycopy(more, 0, headers, 2, more.length);
        return exchange(CONFIG, request(HttpMethod.GET, "/api/orders", headers));
    }

    private static void assertRefused(Verdict verdict, String description) {
        Answer answer = verdict.answer();
        assertThat(answer).as("a refusal").isNotNull();
        assertThat(answer.status().code()).isEqualTo(401);
        assertThat(answer.headers().get("WWW-Authenticate")).isEqualTo("Bearer realm=\"gatehouse\","
                + " error=\"invalid_token\", error_description=\"" + description + "\"");
        assertThat(answer.json()).isEqualTo("{\"error\":\"Invalid bearer token: " + description + "\"}");
    }

    @Test
    void acceptsEachSupportedAlgorithmAndNamesTheClientByItsSubject() {
        for (var signed : List.of(
                Tokens.sign(RSA, JWSAlgorithm.RS256), Tokens.sign(RSA, JWSAlgorithm.RS384),
                Tokens.sign(RSA, JWSAlgorithm.RS512), Tokens.sign(RSA, JWSAlgorithm.PS256),
                Tokens.sign(EC256, JWSAlgorithm.ES256), Tokens.sign(EC384, JWSAlgorithm.ES384),
                Tokens.sign(ED, JWSAlgorithm.EdDSA))) {
            Exchange exchange = bearer(signed);
            assertThat(filter.apply(exchange).proceeds()).as(signed).isTrue();
            assertThat(exchange.client().name()).isEqualTo(Tokens.SUBJECT);
            assertThat(exchange.client().limitKey()).isEqualTo("#jwt:corp:" + Tokens.SUBJECT);
            assertThat(exchange.client().rateLimit()).isEqualTo(100);
            // The backend may need the token: it is forwarded.
            assertThat(exchange.requestHeaders().get("Authorization")).isEqualTo("Bearer " + signed);
        }
    }

    @Test
    void aMissingTokenIs401WithTheBearerChallenge() {
        for (String[] headers : List.of(new String[0], new String[]{"Authorization", "Basic dXNlcjpwdw=="},
                new String[]{"Authorization", "Bearer "})) {
            Verdict verdict = filter.apply(exchange(CONFIG, request(HttpMethod.GET, "/api/orders", headers)));
            assertThat(verdict.answer().status().code()).isEqualTo(401);
            assertThat(verdict.answer().headers().get("WWW-Authenticate")).isEqualTo("Bearer realm=\"gatehouse\"");
            assertThat(verdict.answer().json()).isEqualTo("{\"error\":\"Missing bearer token\"}");
        }
    }

    @Test
    void aTokenInTheQueryStringIsNotATokenAtAll() {
        String token = Tokens.sign(RSA, JWSAlgorithm.RS256);
        Verdict verdict = filter.apply(exchange(CONFIG, request(HttpMethod.GET, "/api/orders?access_token=" + token)));
        assertThat(verdict.answer().json()).isEqualTo("{\"error\":\"Missing bearer token\"}");
    }

    @Test
    void eachRefusalHasItsShortDescription() {
        Instant now = Instant.now();
        assertRefused(filter.apply(bearer(Tokens.sign(RSA, JWSAlgorithm.RS256,
                c -> c.expirationTime(Date.from(now.minusSeconds(31)))))), "expired");
        assertRefused(filter.apply(bearer(Tokens.sign(RSA, JWSAlgorithm.RS256,
                c -> c.notBeforeTime(Date.from(now.plusSeconds(60)))))), "not yet valid");
        assertRefused(filter.apply(bearer(Tokens.sign(RSA, JWSAlgorithm.RS256,
                c -> c.issueTime(Date.from(now.plusSeconds(60)))))), "not yet valid");
        assertRefused(filter.apply(bearer(Tokens.sign(OTHER_RSA, JWSAlgorithm.RS256))), "bad signature");
        assertRefused(filter.apply(bearer(Tokens.sign(Tokens.rsa("nobody"), JWSAlgorithm.RS256))), "unknown key");
        assertRefused(filter.apply(bearer(Tokens.sign(RSA, JWSAlgorithm.RS256,
                c -> c.issuer("https://evil.example.com/")))), "wrong issuer");
        assertRefused(filter.apply(bearer(Tokens.sign(RSA, JWSAlgorithm.RS256, c -> c.audience("billing-api")))),
                "wrong audience");
        assertRefused(filter.apply(bearer(Tokens.sign(RSA, JWSAlgorithm.RS256, c -> c.audience((String) null)))),
                "wrong audience");
        assertRefused(filter.apply(bearer(Tokens.sign(RSA, JWSAlgorithm.RS256, c -> c.expirationTime(null)))),
                "missing required claim");
        assertRefused(filter.apply(bearer(Tokens.sign(RSA, JWSAlgorithm.RS256, c -> c.subject(null)))),
                "missing required claim");
        assertRefused(filter.apply(bearer(Tokens.sign(RSA, JWSAlgorithm.RS256, c -> c.subject("a\r\nb")))),
                "invalid client claim");
        assertRefused(filter.apply(bearer("not.a.token")), "malformed");
        assertRefused(filter.apply(bearer("e30.e30")), "malformed");
    }

    @Test
    void theClockSkewForgivesALittle() {
        Instant now = Instant.now();
        assertThat(filter.apply(bearer(Tokens.sign(RSA, JWSAlgorithm.RS256,
                c -> c.expirationTime(Date.from(now.minusSeconds(20)))
                        .notBeforeTime(Date.from(now.plusSeconds(20)))
                        .issueTime(Date.from(now.plusSeconds(20)))))).proceeds()).isTrue();
    }

    @Test
    void anAudienceListNeedsOnlyOneOfTheConfiguredOnes() {
        Exchange exchange = bearer(Tokens.sign(RSA, JWSAlgorithm.RS256,
                c -> c.audience(List.of("someone-else", "other-api"))));
        assertThat(filter.apply(exchange).proceeds()).isTrue();
    }

    @Test
    void algNoneIsRefused() {
        String header = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"JWT\"}").toString();
        String claims = Base64URL.encode(Tokens.claims().build().toString()).toString();
        assertRefused(filter.apply(bearer(header + "." + claims + ".")), "algorithm not allowed");
    }

    @Test
    void hs256SignedWithTheRsaPublicKeyIsRefused() throws Exception {
        byte[] publicKey = RSA.toPublicJWK().toJSONString().getBytes(StandardCharsets.UTF_8);
        assertRefused(filter.apply(bearer(Tokens.hmac(publicKey, "rsa-1"))), "algorithm not allowed");
        byte[] encoded = java.util.Arrays.copyOf(RSA.toRSAPublicKey().getEncoded(), 64);
        assertRefused(filter.apply(bearer(Tokens.hmac(encoded, "rsa-1"))), "algorithm not allowed");
    }

    @Test
    void anAlgorithmOffTheProvidersListIsRefused() {
        JwtFilter rsOnly = new JwtFilter(List.of(new JwtVerifier(provider(List.of("RS256"), Map.of()),
                KeySource.fixed(KEYS), Clock.systemUTC())), null, "X-API-Key");
        assertRefused(rsOnly.apply(bearer(Tokens.sign(EC256, JWSAlgorithm.ES256))), "algorithm not allowed");
        assertRefused(rsOnly.apply(bearer(Tokens.sign(RSA, JWSAlgorithm.PS256))), "algorithm not allowed");
        assertThat(rsOnly.apply(bearer(Tokens.sign(RSA, JWSAlgorithm.RS256))).proceeds()).isTrue();
    }

    @Test
    void aKeyWhoseTypeOrAlgDisagreesWithTheHeaderIsNotUsed() throws Exception {
        // The header says RS256 and names the EC key.
        String ecKidRsaAlg = Tokens.sign(RSA, new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("ec-256").build(),
                c -> { });
        assertRefused(filter.apply(bearer(ecKidRsaAlg)), "algorithm not allowed");
        // The JWK pins RS512 (or is an encryption key); the token says RS256.
        for (JWK pinned : List.of(new RSAKey.Builder(RSA.toRSAPublicKey()).keyID("rsa-1")
                        .algorithm(JWSAlgorithm.RS512).build(),
                new RSAKey.Builder(RSA.toRSAPublicKey()).keyID("rsa-1").keyUse(KeyUse.ENCRYPTION).build())) {
            JwtFilter strict = filter(KeySource.fixed(new JWKSet(pinned)));
            assertRefused(strict.apply(bearer(Tokens.sign(RSA, JWSAlgorithm.RS256))), "algorithm not allowed");
        }
        // ES384 with a P-256 key.
        String wrongCurve = Tokens.sign(EC384, new JWSHeader.Builder(JWSAlgorithm.ES384).keyID("ec-256").build(),
                c -> { });
        assertRefused(filter.apply(bearer(wrongCurve)), "algorithm not allowed");
    }

    @Test
    void aTokenOver8KiBIsRefusedBeforeParsing() {
        String big = "x".repeat(JwtFilter.MAX_TOKEN_LENGTH + 1);
        assertRefused(filter.apply(bearer(big)), "token too large");
        String padded = Tokens.sign(RSA, JWSAlgorithm.RS256, c -> c.claim("pad", "p".repeat(9000)));
        assertRefused(filter.apply(bearer(padded)), "token too large");
    }

    @Test
    void twoAuthorizationHeadersAreRefused() {
        String token = Tokens.sign(RSA, JWSAlgorithm.RS256);
        assertRefused(filter.apply(bearer(token, "Authorization", "Bearer " + token)), "malformed");
    }

    @Test
    void anAccessTokenTypeIsAccepted() {
        String token = Tokens.sign(RSA, new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("rsa-1")
                .type(new JOSEObjectType("at+jwt")).build(), c -> { });
        assertThat(filter.apply(bearer(token)).proceeds()).isTrue();
    }

    @Test
    void claimsBecomeHeadersAfterTheClientsCopiesAreRemoved() {
        String token = Tokens.sign(RSA, JWSAlgorithm.RS256,
                c -> c.claim("scope", "orders:read orders:write").claim("roles", List.of("admin", "ops")));
        Exchange exchange = bearer(token, "X-Auth-Subject", "spoofed", "x-auth-roles", "root", "X-Auth-Scope", "all");
        assertThat(filter.apply(exchange).proceeds()).isTrue();
        assertThat(exchange.requestHeaders().getAll("X-Auth-Subject")).containsExactly(Tokens.SUBJECT);
        assertThat(exchange.requestHeaders().getAll("X-Auth-Scope")).containsExactly("orders:read orders:write");
        assertThat(exchange.requestHeaders().getAll("X-Auth-Roles")).containsExactly("admin ops");
    }

    @Test
    void theClientsCopiesAreRemovedEvenWhenTheTokenIsRefusedOrTheClaimAbsent() {
        Exchange refused = bearer("garbage", "X-Auth-Subject", "spoofed");
        filter.apply(refused);
        assertThat(refused.requestHeaders().contains("X-Auth-Subject")).isFalse();
        Exchange noScope = bearer(Tokens.sign(RSA, JWSAlgorithm.RS256), "X-Auth-Scope", "all");
        assertThat(filter.apply(noScope).proceeds()).isTrue();
        assertThat(noScope.requestHeaders().contains("X-Auth-Scope")).isFalse();
    }

    @Test
    void apiKeyOrJwtUsesTheKeyWhenItsHeaderIsPresentEvenBesideAToken() {
        JwtFilter either = new JwtFilter(List.of(new JwtVerifier(provider(ALL, Map.of("sub", "X-Auth-Subject")),
                KeySource.fixed(KEYS), Clock.systemUTC())), new ApiKeyFilter("X-API-Key", CONFIG.apiKeys()),
                "X-API-Key");
        assertThat(either.name()).isEqualTo("api-key-or-jwt(corp)");
        Exchange both = bearer(Tokens.sign(RSA, JWSAlgorithm.RS256), "X-API-Key", KEY, "X-Auth-Subject", "spoofed");
        assertThat(either.apply(both).proceeds()).isTrue();
        assertThat(both.client().name()).isEqualTo(CLIENT);
        assertThat(both.requestHeaders().contains("X-Auth-Subject")).isFalse();
        // A wrong key is not rescued by a good token.
        Exchange badKey = bearer(Tokens.sign(RSA, JWSAlgorithm.RS256), "X-API-Key", "key_live_wrong");
        assertThat(either.apply(badKey).answer().status().code()).isEqualTo(403);
        Exchange tokenOnly = bearer(Tokens.sign(RSA, JWSAlgorithm.RS256));
        assertThat(either.apply(tokenOnly).proceeds()).isTrue();
        assertThat(tokenOnly.client().name()).isEqualTo(Tokens.SUBJECT);
        Verdict neither = either.apply(exchange(CONFIG, request(HttpMethod.GET, "/api/orders")));
        assertThat(neither.answer().json()).isEqualTo("{\"error\":\"Missing X-API-Key header or bearer token\"}");
    }

    @Test
    void anUnknownKidWaitsForTheRefetchAndIsCheckedAgainstWhatCameBack() {
        RSAKey rotated = Tokens.rsa("rsa-2");
        AtomicInteger refetches = new AtomicInteger();
        CompletableFuture<Void> fetched = new CompletableFuture<>();
        JWKSet[] current = {KEYS};
        JwtFilter rotating = filter(new KeySource() {
            public JWKSet keys() { return current[0]; }
            public CompletionStage<?> refetch() { refetches.incrementAndGet(); return fetched; }
            public boolean ready() { return true; }
        });
        Exchange exchange = bearer(Tokens.sign(rotated, JWSAlgorithm.RS256));
        Verdict verdict = rotating.apply(exchange);
        assertThat(verdict.later()).isSameAs(fetched);
        current[0] = new JWKSet(List.of(RSA, rotated)).toPublicJWKSet();
        fetched.complete(null);
        assertThat(verdict.resume(null, null).proceeds()).isTrue();
        assertThat(refetches.get()).isEqualTo(1);
        // Still unknown after the refetch: refused.
        Exchange stranger = bearer(Tokens.sign(Tokens.rsa("rsa-3"), JWSAlgorithm.RS256));
        assertRefused(rotating.apply(stranger).resume(null, null), "unknown key");
        // A kid that is present never refetches.
        assertThat(rotating.apply(bearer(Tokens.sign(RSA, JWSAlgorithm.RS256))).proceeds()).isTrue();
        assertThat(refetches.get()).isEqualTo(2);
    }

    @Test
    void noRefusalRepeatsTheTokenOrItsClaims() {
        String secretish = "s3cr3t-subject-value";
        for (String token : List.of(
                Tokens.sign(RSA, JWSAlgorithm.RS256, c -> c.subject(secretish).audience("aud-" + secretish)),
                Tokens.sign(RSA, JWSAlgorithm.RS256, c -> c.subject(secretish).issuer("iss-" + secretish)),
                Tokens.sign(OTHER_RSA, JWSAlgorithm.RS256, c -> c.subject(secretish)))) {
            Answer answer = filter.apply(bearer(token)).answer();
            assertThat(answer.json()).doesNotContain(secretish).doesNotContain(token.substring(0, 20));
            assertThat(answer.headers().toString()).doesNotContain(secretish);
        }
    }

    /** A clock the test moves. */
    private static final class MovableClock extends Clock {
        private volatile Instant now = Instant.now();

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return java.time.ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    @Test
    void aTokenSeenBeforeIsTakenFromTheStoreWithItsClientAndClaimHeaders() {
        String token = Tokens.sign(RSA, JWSAlgorithm.RS256, c -> c.claim("scope", "orders:read"));
        assertThat(filter.apply(bearer(token)).proceeds()).isTrue();
        assertThat(filter.verifiedTokens().hits()).isZero();
        assertThat(filter.verifiedTokens().size()).isEqualTo(1);

        Exchange again = bearer(token, "X-Auth-Scope", "admin");
        assertThat(filter.apply(again).proceeds()).isTrue();
        assertThat(filter.verifiedTokens().hits()).isEqualTo(1);
        assertThat(again.client().name()).isEqualTo(Tokens.SUBJECT);
        assertThat(again.client().limitKey()).isEqualTo("#jwt:corp:" + Tokens.SUBJECT);
        // The client's own copy is gone, the verified claim set, exactly as on a full check.
        assertThat(again.requestHeaders().getAll("X-Auth-Scope")).containsExactly("orders:read");
        assertThat(again.requestHeaders().get("X-Auth-Subject")).isEqualTo(Tokens.SUBJECT);
    }

    @Test
    void aRefusedTokenIsNeverStored() {
        String forged = Tokens.sign(OTHER_RSA, JWSAlgorithm.RS256);
        assertRefused(filter.apply(bearer(forged)), "bad signature");
        assertRefused(filter.apply(bearer(forged)), "bad signature");
        assertThat(filter.verifiedTokens().size()).isZero();
        assertThat(filter.verifiedTokens().hits()).isZero();
    }

    @Test
    void aStoredTokenIsRefusedOnceItExpires() {
        MovableClock clock = new MovableClock();
        JwtFilter timed = new JwtFilter(List.of(new JwtVerifier(provider(ALL, Map.of()), KeySource.fixed(KEYS),
                clock)), null, "X-API-Key");
        Instant exp = clock.instant().plusSeconds(60);
        String token = Tokens.sign(RSA, JWSAlgorithm.RS256, c -> c.expirationTime(Date.from(exp)));
        assertThat(timed.apply(bearer(token)).proceeds()).isTrue();
        assertThat(timed.apply(bearer(token)).proceeds()).isTrue();
        assertThat(timed.verifiedTokens().hits()).isEqualTo(1);
        // Past exp and the 30 s skew: what the full check says, not what the store remembers.
        clock.advance(Duration.ofSeconds(91));
        assertRefused(timed.apply(bearer(token)), "expired");
        assertThat(timed.verifiedTokens().hits()).isEqualTo(1);
    }

    @Test
    void aStoredTokenIsCheckedAgainWhenTheKeySetChanges() {
        JWKSet[] current = {KEYS};
        JwtFilter rotating = filter(new KeySource() {
            public JWKSet keys() { return current[0]; }
            public CompletionStage<?> refetch() { return null; }
            public boolean ready() { return true; }
        });
        String token = Tokens.sign(RSA, JWSAlgorithm.RS256);
        assertThat(rotating.apply(bearer(token)).proceeds()).isTrue();
        // The IdP dropped the token's key: the token is no good any more, however recently it was.
        current[0] = new JWKSet(List.of(EC256)).toPublicJWKSet();
        assertRefused(rotating.apply(bearer(token)), "unknown key");
        assertThat(rotating.verifiedTokens().hits()).isZero();
    }

    @Test
    void aStoredTokenCountsOnlyOnRoutesThatTakeItsProvider() {
        VerifiedTokens shared = new VerifiedTokens();
        JwtVerifier corp = new JwtVerifier(provider(ALL, Map.of()), KeySource.fixed(KEYS), Clock.systemUTC());
        JwtProviderConfig partnerConfig = new JwtProviderConfig("partner", "https://partner.example.com/",
                List.of(Tokens.AUDIENCE), ALL, null, java.nio.file.Path.of("keys.json"), "{}",
                JwtProviderConfig.DEFAULT_REFRESH, Duration.ofSeconds(30), "sub", 100, Map.of());
        JwtVerifier partner = new JwtVerifier(partnerConfig, KeySource.fixed(KEYS), Clock.systemUTC());
        JwtFilter corpRoute = new JwtFilter(List.of(corp), null, "X-API-Key", shared);
        JwtFilter partnerRoute = new JwtFilter(List.of(partner), null, "X-API-Key", shared);
        String token = Tokens.sign(RSA, JWSAlgorithm.RS256);
        assertThat(corpRoute.apply(bearer(token)).proceeds()).isTrue();
        assertRefused(partnerRoute.apply(bearer(token)), "wrong issuer");
        assertThat(corpRoute.apply(bearer(token)).proceeds()).isTrue();
        assertThat(shared.hits()).isEqualTo(1);
    }
}
