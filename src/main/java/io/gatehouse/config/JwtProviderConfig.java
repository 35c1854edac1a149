package io.gatehouse.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One entry of {@code auth.jwt}: an identity provider whose bearer tokens are accepted, and how its keys are found.
 * Exactly one of {@link #jwksUrl} and {@link #jwksFile} is set; for a file, {@link #jwks} holds its contents as read
 * when the config was loaded (a reload reads it again).
 *
 * @param name            the provider's name, as routes' {@code jwt_providers} name it
 * @param issuer          the {@code iss} a token must carry, compared exactly
 * @param audiences       the token's {@code aud} must contain at least one of these
 * @param algorithms      the JWS algorithms accepted (never {@code none} or an HMAC one)
 * @param jwksUrl         where the key set is fetched, http or https; null for a file
 * @param jwksFile        the key set's file; null for a URL
 * @param jwks            the file's contents; null for a URL
 * @param refresh         how often the URL is fetched again; a shorter {@code Cache-Control: max-age} wins
 * @param clockSkew       tolerance for {@code exp}, {@code nbf} and {@code iat}
 * @param clientClaim     the claim that names the client: {@code X-Client-Name}, rate limits, the access log
 * @param rateLimit       requests per window per client of this provider; 0 for no per-client limit
 * @param claimsToHeaders claim name to request header, set for the backend
 */
public record JwtProviderConfig(String name, String issuer, List<String> audiences, List<String> algorithms,
                                URI jwksUrl, Path jwksFile, String jwks, Duration refresh, Duration clockSkew,
                                String clientClaim, long rateLimit, Map<String, String> claimsToHeaders) {

    public static final Duration DEFAULT_REFRESH = Duration.ofMinutes(10);
    public static final Duration MIN_REFRESH = Duration.ofMinutes(1);
    public static final Duration MAX_REFRESH = Duration.ofHours(24);
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
    public static final String DEFAULT_CLIENT_CLAIM = "sub";
    /** The JWS algorithms a provider may list. */
    public static final List<String> SUPPORTED_ALGORITHMS = List.of(
            "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA");

    public JwtProviderConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(issuer, "issuer");
        audiences = List.copyOf(audiences);
        algorithms = List.copyOf(algorithms);
        if (audiences.isEmpty() || algorithms.isEmpty()) {
            throw new IllegalArgumentException("audiences and algorithms must not be empty");
        }
        if (!SUPPORTED_ALGORITHMS.containsAll(algorithms)) {
            throw new IllegalArgumentException("unsupported algorithm in " + algorithms);
        }
        if ((jwksUrl == null) == (jwksFile == null) || (jwksFile == null) != (jwks == null)) {
            throw new IllegalArgumentException("exactly one of jwksUrl and jwksFile (with its contents) must be given");
        }
        Objects.requireNonNull(refresh, "refresh");
        Objects.requireNonNull(clockSkew, "clockSkew");
        Objects.requireNonNull(clientClaim, "clientClaim");
        if (rateLimit < 0) {
            throw new IllegalArgumentException("negative rateLimit");
        }
        claimsToHeaders = Collections.unmodifiableMap(new LinkedHashMap<>(claimsToHeaders));
    }

    /** A provider with every optional setting at its default, for tests. */
    public static JwtProviderConfig ofFile(String name, String issuer, List<String> audiences,
                                           List<String> algorithms, Path file, String jwks) {
        return new JwtProviderConfig(name, issuer, audiences, algorithms, null, file, jwks, DEFAULT_REFRESH,
                DEFAULT_CLOCK_SKEW, DEFAULT_CLIENT_CLAIM, 0, Map.of());
    }

    /** The key set's contents are left out: a config ends up in logs. */
    @Override
    public String toString() {
        return "JwtProviderConfig[name=" + name + ", issuer=" + issuer + ", audiences=" + audiences
                + ", algorithms=" + algorithms + ", jwks=" + (jwksUrl != null ? jwksUrl : jwksFile) + "]";
    }
}
