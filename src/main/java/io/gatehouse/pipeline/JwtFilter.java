package io.gatehouse.pipeline;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.gatehouse.auth.jwt.JwtRejection;
import io.gatehouse.auth.jwt.JwtVerifier;
import io.gatehouse.auth.jwt.VerifiedTokens;
import io.gatehouse.auth.jwt.VerifiedTokens.TokenHash;
import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.Filter;
import io.gatehouse.exchange.Verdict;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;

import java.text.ParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Bearer-token authentication, on routes with {@code auth: jwt} — and {@code api_key_or_jwt}, where a request with
 * the API-key header goes to the key filter instead. The token comes from {@code Authorization: Bearer} only. The
 * provider is the route's one with the token's issuer; its {@link JwtVerifier} checks algorithm, key, signature and
 * claims. A {@code kid} the key set lacks suspends the request on the provider's one refetch (at most a couple of
 * seconds; none when one was made recently) and the token is checked again against what came back. Missing → 401
 * with {@code WWW-Authenticate: Bearer realm="gatehouse"}; refused → 401 with {@code error="invalid_token"} and a
 * short {@code error_description}; never anything from the token itself. Before anything, the client's own copies of
 * every {@code claims_to_headers} header of the route's providers are removed; a verified token's claims are then
 * set. The {@code Authorization} header itself goes on to the backend. A token verified before (by any route of
 * this snapshot) is found in {@link VerifiedTokens} and skips parsing and the signature, as long as this route takes
 * its provider, the provider's key set is the one it was checked against, and it has not expired.
 */
final class JwtFilter implements Filter {

    /** Tokens longer than this are refused before any parsing. */
    static final int MAX_TOKEN_LENGTH = 8 * 1024;
    static final String REALM = "Bearer realm=\"gatehouse\"";
    private static final String BEARER = "Bearer ";

    private final String name;
    private final ApiKeyFilter apiKey;
    private final AsciiString keyHeader;
    private final Map<String, JwtVerifier> byIssuer = new HashMap<>();
    private final List<AsciiString> claimHeaders = new ArrayList<>();
    private final Verdict missing;
    private final Map<JwtRejection, Verdict> invalid = new EnumMap<>(JwtRejection.class);
    private final VerifiedTokens verifiedTokens;

    /**
     * @param providers the route's providers, each with its own issuer
     * @param apiKey    for {@code api_key_or_jwt}: the key filter, used when {@code keyHeader} is present; else null
     */
    JwtFilter(List<JwtVerifier> providers, ApiKeyFilter apiKey, String keyHeader) {
        this(providers, apiKey, keyHeader, new VerifiedTokens());
    }

    /** @param verifiedTokens the snapshot's store of verified tokens, shared by all its JWT routes */
    JwtFilter(List<JwtVerifier> providers, ApiKeyFilter apiKey, String keyHeader, VerifiedTokens verifiedTokens) {
        this.verifiedTokens = verifiedTokens;
        List<String> names = providers.stream().map(JwtVerifier::name).toList();
        this.name = (apiKey == null ? "jwt(" : "api-key-or-jwt(") + String.join(",", names) + ")";
        this.apiKey = apiKey;
        this.keyHeader = new AsciiString(keyHeader);
        Set<String> headerNames = new LinkedHashSet<>();
        for (JwtVerifier provider : providers) {
            byIssuer.put(provider.config().issuer(), provider);
            headerNames.addAll(provider.config().claimsToHeaders().values());
        }
        headerNames.forEach(h -> claimHeaders.add(new AsciiString(h)));
        String what = apiKey == null ? "Missing bearer token" : "Missing " + keyHeader + " header or bearer token";
        this.missing = Verdict.answer(Answer.error(HttpResponseStatus.UNAUTHORIZED, what)
                .withHeader(HttpHeaderNames.WWW_AUTHENTICATE, REALM));
        for (JwtRejection why : JwtRejection.values()) {
            invalid.put(why, Verdict.answer(Answer.error(HttpResponseStatus.UNAUTHORIZED,
                            "Invalid bearer token: " + why.description())
                    .withHeader(HttpHeaderNames.WWW_AUTHENTICATE, REALM + ", error=\"invalid_token\", error_description=\""
                            + why.description() + "\"")));
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Verdict apply(Exchange exchange) {
        HttpHeaders headers = exchange.requestHeaders();
        // Whichever way the client gets in, it never sets what the backend takes for a verified claim.
        for (int i = 0; i < claimHeaders.size(); i++) {
            headers.remove(claimHeaders.get(i));
        }
        if (apiKey != null && headers.contains(keyHeader)) {
            return apiKey.apply(exchange);
        }
        Iterator<String> values = headers.valueStringIterator(HttpHeaderNames.AUTHORIZATION);
        String value = values.hasNext() ? values.next() : null;
        if (value == null || !value.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            exchange.authFailure("missing");
            return missing;
        }
        if (values.hasNext()) {
            return rejected(exchange, JwtRejection.MALFORMED);
        }
        String token = value.substring(BEARER.length()).trim();
        if (token.isEmpty()) {
            exchange.authFailure("missing");
            return missing;
        }
        if (token.length() > MAX_TOKEN_LENGTH) {
            return rejected(exchange, JwtRejection.TOO_LARGE);
        }
        TokenHash hash = TokenHash.of(token);
        VerifiedTokens.Entry known = verifiedTokens.find(hash, this::accepts);
        if (known != null) {
            return proceed(exchange, known.provider(), known.verified());
        }
        SignedJWT jwt;
        String issuer;
        try {
            JWT parsed = JWTParser.parse(token);
            if (!(parsed instanceof SignedJWT signed)) {
                return rejected(exchange, parsed instanceof PlainJWT
                        ? JwtRejection.ALGORITHM_NOT_ALLOWED : JwtRejection.MALFORMED);
            }
            jwt = signed;
            issuer = jwt.getJWTClaimsSet().getIssuer();
        } catch (ParseException | RuntimeException e) {
            return rejected(exchange, JwtRejection.MALFORMED);
        }
        JwtVerifier provider = issuer == null ? null : byIssuer.get(issuer);
        if (provider == null) {
            return rejected(exchange, JwtRejection.WRONG_ISSUER);
        }
        if (!provider.allows(jwt.getHeader().getAlgorithm())) {
            return rejected(exchange, JwtRejection.ALGORITHM_NOT_ALLOWED);
        }
        switch (provider.match(jwt.getHeader())) {
            case INCOMPATIBLE:
                return rejected(exchange, JwtRejection.ALGORITHM_NOT_ALLOWED);
            case UNKNOWN:
                CompletionStage<?> refetch = provider.keys().refetch();
                if (refetch == null) {
                    return rejected(exchange, JwtRejection.UNKNOWN_KEY);
                }
                return Verdict.suspend(refetch, (ignored, failure) -> verify(exchange, provider, jwt, hash));
            default:
                return verify(exchange, provider, jwt, hash);
        }
    }

    /** The store of verified tokens this filter reads and fills. */
    VerifiedTokens verifiedTokens() {
        return verifiedTokens;
    }

    /** Whether this route takes tokens of {@code provider}: the one it has for that issuer. */
    private boolean accepts(JwtVerifier provider) {
        return byIssuer.get(provider.config().issuer()) == provider;
    }

    private Verdict verify(Exchange exchange, JwtVerifier provider, SignedJWT jwt, TokenHash hash) {
        // Read before the check: a set swapped in meanwhile must not be credited with this token.
        JWKSet keys = provider.keys().keys();
        JwtVerifier.Outcome outcome = provider.verify(jwt);
        if (outcome.rejection() != null) {
            return rejected(exchange, outcome.rejection());
        }
        verifiedTokens.remember(hash, provider, keys, outcome.verified());
        return proceed(exchange, provider, outcome.verified());
    }

    private static Verdict proceed(Exchange exchange, JwtVerifier provider, JwtVerifier.Verified verified) {
        exchange.client(verified.client());
        HttpHeaders headers = exchange.requestHeaders();
        provider.claimHeaders(verified.claims(), headers::set);
        return Verdict.proceed();
    }

    private Verdict rejected(Exchange exchange, JwtRejection why) {
        exchange.authFailure(why.label());
        return invalid.get(why);
    }
}
