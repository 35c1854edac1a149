package io.gatehouse.config;

import io.gatehouse.pipeline.Filters;
import io.gatehouse.ratelimit.LocalRateLimiter;
import io.gatehouse.testing.Tokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code auth.jwt}, {@code trusted_proxies} and the routes' {@code auth}, {@code jwt_providers} and IP rules. */
class AccessConfigTest {

    @TempDir
    Path dir;

    private static List<String> problems(String yaml) {
        return ConfigProblems.of(yaml);
    }

    private static GatewayConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, "gateway.yaml");
    }

    private String keysFile() throws Exception {
        Path file = dir.resolve("jwks.json");
        Files.writeString(file, Tokens.jwks(Tokens.rsa("k1")));
        return file.toString();
    }

    @Test
    void readsProvidersRoutesAndTrustedProxies() throws Exception {
        GatewayConfig config = parse("""
                auth:
                  jwt:
                    corp:
                      issuer: https://idp.example.com/
                      audiences: [orders-api]
                      algorithms: [RS256, ES256]
                      jwks_url: http://127.0.0.1:5556/jwks.json
                      refresh: 5m
                      clock_skew: 10s
                      client_claim: email
                      rate_limit: 100
                      claims_to_headers: { sub: X-Auth-Subject, scope: X-Auth-Scope }
                    files:
                      issuer: https://other.example.com/
                      audiences: orders-api
                      algorithms: EdDSA
                      jwks_file: %s
                trusted_proxies: [10.0.0.0/8, "fd00::/8"]
                routes:
                  - prefix: /api/orders
                    upstream: http://localhost:4001
                    auth: jwt
                    jwt_providers: [corp]
                    allow_ips: [203.0.113.0/24, "2001:db8::/32"]
                    deny_ips: 203.0.113.7
                  - prefix: /api/both
                    upstream: http://localhost:4001
                    auth: api_key_or_jwt
                """.formatted(keysFile()));
        JwtProviderConfig corp = config.auth().jwt().get("corp");
        assertThat(corp.audiences()).containsExactly("orders-api");
        assertThat(corp.algorithms()).containsExactly("RS256", "ES256");
        assertThat(corp.refresh()).hasMinutes(5);
        assertThat(corp.clockSkew()).hasSeconds(10);
        assertThat(corp.clientClaim()).isEqualTo("email");
        assertThat(corp.rateLimit()).isEqualTo(100);
        assertThat(corp.claimsToHeaders()).containsEntry("scope", "X-Auth-Scope");
        assertThat(config.auth().jwt().get("files").jwks()).contains("\"kid\":\"k1\"");
        assertThat(config.trustedProxies().ranges()).hasSize(2);
        RouteConfig orders = config.routes().get(0);
        assertThat(orders.auth()).isEqualTo(AuthMode.JWT);
        assertThat(orders.access().jwtProviders()).containsExactly("corp");
        assertThat(orders.access().allowIps().contains(java.net.InetAddress.getByName("203.0.113.9"))).isTrue();
        assertThat(orders.access().denyIps().contains(java.net.InetAddress.getByName("203.0.113.7"))).isTrue();
        // Without jwt_providers a route takes every provider.
        assertThat(config.routes().get(1).access().jwtProviders()).containsExactly("corp", "files");
        assertThat(String.join("\n", Filters.describe(Filters.compile(config, new LocalRateLimiter(System::nanoTime)))))
                .contains("/api/orders: framing -> cors-preflight -> health -> routing -> ip-rules -> jwt(corp)"
                        + " -> body-limit(10485760) -> rate-limit -> upstream")
                .contains("/api/both: framing -> cors-preflight -> health -> routing -> api-key-or-jwt(corp,files)"
                        + " -> body-limit(10485760) -> rate-limit -> upstream");
    }

    @Test
    void aRouteNamingAnUnknownProvider() {
        assertThat(problems("""
                auth:
                  jwt:
                    corp: { issuer: i, audiences: [a], algorithms: [RS256], jwks_url: "http://127.0.0.1:1/k" }
                routes:
                  - prefix: /a
                    upstream: http://localhost:4001
                    auth: jwt
                    jwt_providers: [crop]
                """)).containsExactly("gateway.yaml:8:21: unknown JWT provider 'crop': auth.jwt has no such entry"
                + " (defined are corp) (at /routes/0/jwt_providers/0)");
    }

    @Test
    void aJwtRouteWithoutProvidersOrProvidersOnAKeyRoute() {
        assertThat(problems("""
                routes:
                  - prefix: /a
                    upstream: http://localhost:4001
                    auth: jwt
                  - prefix: /b
                    upstream: http://localhost:4001
                    jwt_providers: [corp]
                """)).containsExactly(
                "gateway.yaml:4:11: auth: jwt needs a JWT provider under auth.jwt (at /routes/0/auth)",
                "gateway.yaml:7:20: jwt_providers is only used with auth: jwt or auth: api_key_or_jwt"
                        + " (at /routes/1/jwt_providers)");
    }

    @Test
    void badAlgorithmsUrlsAndKeySources() {
        assertThat(problems("""
                auth:
                  jwt:
                    a: { issuer: i, audiences: [x], algorithms: [], jwks_url: "ftp://idp/k" }
                    b: { issuer: i, audiences: [x], algorithms: [none, HS256, RS257], jwks_file: /nonexistent/k.json }
                    c: { issuer: i, audiences: [x], algorithms: [RS256] }
                    d: { issuer: i, audiences: [], algorithms: [RS256], jwks_url: "http://a/k", jwks_file: k.json }
                routes:
                  - prefix: /a
                    upstream: http://localhost:4001
                    auth: none
                """)).containsExactly(
                "gateway.yaml:3:49: algorithms must list at least one of RS256, RS384, RS512, PS256, PS384, PS512,"
                        + " ES256, ES384, ES512, EdDSA (at /auth/jwt/a/algorithms)",
                "gateway.yaml:3:63: jwks_url must be an http:// or https:// URL like https://idp.example.com/jwks.json,"
                        + " got 'ftp://idp/k' (at /auth/jwt/a/jwks_url)",
                "gateway.yaml:4:50: algorithms must not contain none: an unsigned token proves nothing"
                        + " (at /auth/jwt/b/algorithms/0)",
                "gateway.yaml:4:56: algorithms must not contain HS256: with a key set, an HMAC algorithm would let"
                        + " anyone who has the public key sign tokens (at /auth/jwt/b/algorithms/1)",
                "gateway.yaml:4:63: algorithms entries must each be one of RS256, RS384, RS512, PS256, PS384, PS512,"
                        + " ES256, ES384, ES512, EdDSA, got 'RS257' (at /auth/jwt/b/algorithms/2)",
                "gateway.yaml:4:82: jwks_file cannot be read: no such file (at /auth/jwt/b/jwks_file)",
                "gateway.yaml:5:8: missing required key 'jwks_url' or 'jwks_file' (at /auth/jwt/c)",
                "gateway.yaml:6:8: give either jwks_url or jwks_file, not both (at /auth/jwt/d)",
                "gateway.yaml:6:32: audiences must list at least one audience (at /auth/jwt/d/audiences)");
    }

    @Test
    void aKeyFileThatIsNotAPublicKeySet() throws Exception {
        Path garbage = dir.resolve("garbage.json");
        Files.writeString(garbage, "{\"keys\": 42}");
        Path secret = dir.resolve("private.json");
        Files.writeString(secret, "{\"keys\":[" + Tokens.rsa("k").toJSONString() + "]}");
        List<String> found = problems("""
                auth:
                  jwt:
                    a: { issuer: i, audiences: [x], algorithms: [RS256], jwks_file: "%s" }
                    b: { issuer: j, audiences: [x], algorithms: [RS256], jwks_file: "%s" }
                routes:
                  - { prefix: /a, upstream: "http://localhost:4001", auth: none }
                """.formatted(garbage, secret));
        assertThat(found).hasSize(2);
        assertThat(found.get(0)).startsWith("gateway.yaml:3:").contains("jwks_file is not a JSON Web Key Set");
        assertThat(found.get(1)).startsWith("gateway.yaml:4:").contains("holds private key material");
        assertThat(String.join("\n", found)).doesNotContain("\"n\"");
    }

    @Test
    void badCidrsAreNamedWithTheirPlace() {
        assertThat(problems("""
                trusted_proxies: [10.0.0.0/33, proxy.example.com]
                routes:
                  - prefix: /a
                    upstream: http://localhost:4001
                    auth: none
                    allow_ips: [10.1.2.3/8]
                    deny_ips: ["2001:db8::/129", "1.2.3"]
                """)).containsExactly(
                "gateway.yaml:1:19: trusted_proxies entries must be IP addresses or CIDR blocks like 10.0.0.0/8 or"
                        + " 2001:db8::/32; '10.0.0.0/33': the prefix length after '/' must be 0 to 32"
                        + " (at /trusted_proxies/0)",
                "gateway.yaml:1:32: trusted_proxies entries must be IP addresses or CIDR blocks like 10.0.0.0/8 or"
                        + " 2001:db8::/32; 'proxy.example.com': not an IPv4 or IPv6 address (at /trusted_proxies/1)",
                "gateway.yaml:6:17: allow_ips entries must be IP addresses or CIDR blocks like 10.0.0.0/8 or"
                        + " 2001:db8::/32; '10.1.2.3/8': the address has bits set past the /8 prefix; write the"
                        + " network address (at /routes/0/allow_ips/0)",
                "gateway.yaml:7:16: deny_ips entries must be IP addresses or CIDR blocks like 10.0.0.0/8 or"
                        + " 2001:db8::/32; '2001:db8::/129': the prefix length after '/' must be 0 to 128"
                        + " (at /routes/0/deny_ips/0)",
                "gateway.yaml:7:34: deny_ips entries must be IP addresses or CIDR blocks like 10.0.0.0/8 or"
                        + " 2001:db8::/32; '1.2.3': not an IPv4 or IPv6 address (at /routes/0/deny_ips/1)");
    }

    @Test
    void claimHeadersTheGatewayOwnsAndSharedIssuers() {
        assertThat(problems("""
                auth:
                  jwt:
                    a:
                      issuer: https://idp/
                      audiences: [x]
                      algorithms: [RS256]
                      jwks_url: http://idp/k
                      claims_to_headers: { sub: X-Client-Name, scope: Authorization, email: "bad header" }
                    b: { issuer: "https://idp/", audiences: [y], algorithms: [RS256], jwks_url: "http://idp/k" }
                routes:
                  - { prefix: /a, upstream: "http://localhost:4001", auth: jwt }
                """)).containsExactly(
                "gateway.yaml:8:33: claims_to_headers cannot set X-Client-Name: the gateway or the HTTP framing owns"
                        + " it (at /auth/jwt/a/claims_to_headers/sub)",
                "gateway.yaml:8:55: claims_to_headers cannot set Authorization: the gateway or the HTTP framing owns"
                        + " it (at /auth/jwt/a/claims_to_headers/scope)",
                "gateway.yaml:8:77: claims_to_headers values must be header names, got 'bad header'"
                        + " (at /auth/jwt/a/claims_to_headers/email)");
        assertThat(problems("""
                auth:
                  jwt:
                    a: { issuer: "https://idp/", audiences: [x], algorithms: [RS256], jwks_url: "http://idp/k" }
                    b: { issuer: "https://idp/", audiences: [y], algorithms: [RS256], jwks_url: "http://idp/k" }
                routes:
                  - { prefix: /a, upstream: "http://localhost:4001", auth: jwt }
                """)).containsExactly("gateway.yaml:6:60: JWT providers a and b have the same issuer; a route can"
                + " accept only one of them (at /routes/0/auth)");
    }

    @Test
    void anUnknownAuthMode() {
        assertThat(problems("""
                routes:
                  - { prefix: /a, upstream: "http://localhost:4001", auth: oauth }
                """)).containsExactly("gateway.yaml:2:60: auth must be api_key, jwt, api_key_or_jwt or none,"
                + " got 'oauth' (at /routes/0/auth)");
    }
}
