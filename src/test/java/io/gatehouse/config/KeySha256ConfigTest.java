package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code auth.keys[].key_sha256}: a key given by its hash instead of itself. */
class KeySha256ConfigTest {

    /** {@code printf %s key_live_abc123 | sha256sum}. */
    private static final String ABC_SHA256 = "87f40f5e0d7d1d84d52e7461a0fc8d2ce15b282102c3458696f5933eae3ca262";
    private static final String DEF_SHA256 = "4509e5228283a7e66d41dc59d3e1e5860ceab5c2b65fcaddf319e7dd3e3da854";

    private static final String ROUTES = """
            routes:
              - prefix: /api
                upstream: http://localhost:4001
            """;

    @Test
    void readsAKeyGivenByItsHash() throws ConfigException {
        List<ApiKeyConfig> keys = parse("""
                auth:
                  keys:
                    - key_sha256: %s
                      name: mobile-app
                      rate_limit: 100
                    - key: key_live_def456
                      name: web-dashboard
                      rate_limit: 500
                """.formatted(ABC_SHA256) + ROUTES).auth().keys();

        assertThat(keys).containsExactly(
                ApiKeyConfig.ofSha256(ABC_SHA256, "mobile-app", 100),
                new ApiKeyConfig("key_live_def456", "web-dashboard", 500));
        assertThat(keys.get(0).key()).isNull();
        assertThat(keys.get(0).keySha256()).isEqualTo(ABC_SHA256);
        assertThat(keys.get(1).key()).isEqualTo("key_live_def456");
        assertThat(keys.get(1).keySha256()).isNull();
    }

    @Test
    void givesTheSameDigestForAKeyAndItsHash() throws Exception {
        byte[] expected = MessageDigest.getInstance("SHA-256")
                .digest("key_live_abc123".getBytes(StandardCharsets.UTF_8));

        assertThat(new ApiKeyConfig("key_live_abc123", "a", 1).digest()).isEqualTo(expected);
        assertThat(ApiKeyConfig.ofSha256(ABC_SHA256, "a", 1).digest()).isEqualTo(expected);
        assertThat(ApiKeyConfig.ofSha256(ABC_SHA256.toUpperCase(), "a", 1).digest()).isEqualTo(expected);
    }

    @Test
    void returnsAFreshDigestOnEveryCall() {
        ApiKeyConfig key = ApiKeyConfig.ofSha256(ABC_SHA256, "a", 1);
        key.digest()[0] ^= 1;

        assertThat(HexFormat.of().formatHex(key.digest())).isEqualTo(ABC_SHA256);
    }

    @Test
    void acceptsAnUpperCaseHashAndStoresItInLowerCase() throws ConfigException {
        ApiKeyConfig key = parse("""
                auth:
                  keys:
                    - {key_sha256: %s, name: a, rate_limit: 1}
                """.formatted(ABC_SHA256.toUpperCase()) + ROUTES).auth().keys().get(0);

        assertThat(key.keySha256()).isEqualTo(ABC_SHA256);
        assertThat(key).isEqualTo(ApiKeyConfig.ofSha256(ABC_SHA256, "a", 1));
    }

    @Test
    void acceptsAHashThatYamlReadsAsANumber() throws ConfigException {
        String digits = "1234567890".repeat(6) + "1234";
        ApiKeyConfig key = parse("""
                auth:
                  keys:
                    - {key_sha256: %s, name: a, rate_limit: 1}
                """.formatted(digits) + ROUTES).auth().keys().get(0);

        assertThat(key.keySha256()).isEqualTo(digits);
    }

    @Test
    void reportsBothKeyAndKeySha256() {
        assertThat(problems("""
                auth:
                  keys:
                    - key: key_live_abc123
                      key_sha256: %s
                      name: a
                      rate_limit: 1
                """.formatted(ABC_SHA256) + ROUTES)).containsExactly(
                "gateway.yaml:4:7: give either key or key_sha256, not both (at /auth/keys/0/key_sha256)");
    }

    @Test
    void reportsNeitherKeyNorKeySha256() {
        assertThat(problems("""
                auth:
                  keys:
                    - name: a
                      rate_limit: 1
                """ + ROUTES)).containsExactly(
                "gateway.yaml:3:7: missing required key 'key' or 'key_sha256' (at /auth/keys/0)");
    }

    @Test
    void reportsAnEmptyKeySha256() {
        assertThat(problems("""
                auth:
                  keys:
                    - key_sha256:
                      name: a
                      rate_limit: 1
                """ + ROUTES)).containsExactly(
                "gateway.yaml:3:18: key_sha256 must not be empty (at /auth/keys/0/key_sha256)");
    }

    @Test
    void reportsAKeyAndAnotherEntrysHashOfItAsDuplicates() {
        assertThat(problems("""
                auth:
                  keys:
                    - key: key_live_abc123
                      name: a
                      rate_limit: 1
                    - key_sha256: %s
                      name: b
                      rate_limit: 1
                    - key_sha256: %s
                      name: c
                      rate_limit: 1
                    - key: key_live_def456
                      name: d
                      rate_limit: 1
                """.formatted(ABC_SHA256.toUpperCase(), DEF_SHA256) + ROUTES)).containsExactly(
                "gateway.yaml:6:19: duplicate API key, the same as /auth/keys/0/key (at /auth/keys/1/key_sha256)",
                "gateway.yaml:12:12: duplicate API key, the same as /auth/keys/2/key_sha256 (at /auth/keys/3/key)");
    }

    @Test
    void reportsTheSameHashTwice() {
        assertThat(problems("""
                auth:
                  keys:
                    - {key_sha256: %s, name: a, rate_limit: 1}
                    - {key_sha256: %s, name: b, rate_limit: 1}
                """.formatted(ABC_SHA256, ABC_SHA256.toUpperCase()) + ROUTES)).containsExactly(
                "gateway.yaml:4:20: duplicate API key, the same as /auth/keys/0/key_sha256"
                        + " (at /auth/keys/1/key_sha256)");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "87f40f5e0d7d1d84d52e7461a0fc8d2ce15b282102c3458696f5933eae3ca26",
            "87f40f5e0d7d1d84d52e7461a0fc8d2ce15b282102c3458696f5933eae3ca2621",
            "87f40f5e0d7d1d84d52e7461a0fc8d2ce15b282102c3458696f5933eae3ca26g",
            "87f40f5e0d7d1d84d52e7461a0fc8d2ce15b282102c3458696f5933eae3ca262  -",
            "0x87f40f5e0d7d1d84d52e7461a0fc8d2ce15b282102c3458696f5933eae3ca2",
            "key_live_abc123",
            "h7f40f5e0d7d1d84d52e7461a0fc8d2ce15b282102c3458696f5933eae3ca262",
    })
    void reportsAMalformedHashWithoutShowingIt(String hash) {
        List<String> problems = problems("auth:\n  keys:\n    - key_sha256: \"" + hash + "\"\n      name: a\n"
                + "      rate_limit: 1\n" + ROUTES);

        assertThat(problems).containsExactly("gateway.yaml:3:19: key_sha256 must be 64 hex digits: the first field"
                + " printed by printf %s \"$KEY\" | sha256sum (at /auth/keys/0/key_sha256)");
    }

    @Test
    void reportsAHashOfTheWrongType() {
        assertThat(problems("auth:\n  keys:\n    - {key_sha256: [a], name: a, rate_limit: 1}\n" + ROUTES))
                .containsExactly("gateway.yaml:3:20: key_sha256 must be 64 hex digits, got a list"
                        + " (at /auth/keys/0/key_sha256)");
    }

    @Test
    void neverShowsAKeyOrAHash() throws ConfigException {
        GatewayConfig config = parse("""
                auth:
                  keys:
                    - {key_sha256: %s, name: mobile-app, rate_limit: 1}
                    - {key: key_live_def456, name: web, rate_limit: 1}
                """.formatted(ABC_SHA256) + ROUTES);
        List<String> problems = problems("""
                auth:
                  keys:
                    - {key_sha256: %s, name: a, rate_limit: 1}
                    - {key_sha256: %s, key: key_live_both, name: b, rate_limit: 1}
                    - {key_sha256: %sff, name: c, rate_limit: 1}
                    - {key_sha256: %s, name: d, rate_limit: 1}
                    - {key_sha25: %s, name: e, rate_limit: 1}
                    - {%s: 1, name: f, rate_limit: 1}
                """.formatted(ABC_SHA256, DEF_SHA256, DEF_SHA256, ABC_SHA256, DEF_SHA256, DEF_SHA256) + ROUTES);

        assertThat(config.toString()).contains("mobile-app").doesNotContain(ABC_SHA256).doesNotContain("abc123")
                .doesNotContain("def456").doesNotContain(DEF_SHA256);
        assertThat(problems).hasSize(7).allSatisfy(p -> assertThat(p).doesNotContain("87f40f5e")
                .doesNotContain("4509e522").doesNotContain("key_live"));
    }

    @Test
    void rejectsABadHashInTheRecordWithoutShowingIt() {
        assertThatThrownBy(() -> ApiKeyConfig.ofSha256("key_live_abc123", "a", 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("keySha256 must be 64 hex digits");
        assertThatThrownBy(() -> new ApiKeyConfig("key_live_abc123", ABC_SHA256, "a", 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("exactly one of key and keySha256 must be given");
        assertThatThrownBy(() -> new ApiKeyConfig(null, null, "a", 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static GatewayConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, "gateway.yaml", Map.of());
    }

    private static List<String> problems(String yaml) {
        try {
            ConfigLoader.parse(yaml, "gateway.yaml", Map.of());
        } catch (ConfigException e) {
            return e.problems();
        }
        return fail("expected a ConfigException for:\n" + yaml);
    }
}
