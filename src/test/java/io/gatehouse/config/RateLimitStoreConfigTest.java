package io.gatehouse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code rate_limit.store} and {@code rate_limit.redis}: values, defaults, line-numbered errors, no password shown. */
class RateLimitStoreConfigTest {

    private static final String ROUTES = """
            routes:
              - prefix: /api
                upstream: http://localhost:4001
            """;

    @Test
    void defaultsToTheLocalStore() throws ConfigException {
        RateLimitConfig config = parse(ROUTES).rateLimit();

        assertThat(config.store()).isEqualTo(RateLimitStore.LOCAL);
        assertThat(config.redis()).isNull();
        assertThat(parse("rate_limit:\n  store: local\n" + ROUTES).rateLimit()).isEqualTo(RateLimitConfig.defaults());
    }

    @Test
    void readsARedisStoreWithItsDefaults() throws ConfigException {
        RateLimitConfig config = parse("""
                rate_limit:
                  window: 10s
                  store: redis
                  redis:
                    url: redis://cache.internal
                """ + ROUTES).rateLimit();

        assertThat(config.window()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.store()).isEqualTo(RateLimitStore.REDIS);
        assertThat(config.redis()).isEqualTo(new RedisConfig("cache.internal", 6379, 0, false, null, null,
                Duration.ofMillis(50), RedisFailureMode.LOCAL));
    }

    @Test
    void readsEveryRedisSetting() throws ConfigException {
        RedisConfig redis = parse("""
                rate_limit:
                  store: redis
                  redis:
                    url: rediss://gatehouse:s3cr%40t@[::1]:6380/2
                    timeout: 20ms
                    on_failure: closed
                """ + ROUTES).rateLimit().redis();

        assertThat(redis).isEqualTo(new RedisConfig("::1", 6380, 2, true, "gatehouse", "s3cr@t",
                Duration.ofMillis(20), RedisFailureMode.CLOSED));
        assertThat(redis.toString()).doesNotContain("s3cr").contains("rediss://gatehouse:***@[::1]:6380/2");
    }

    @Test
    void readsARedisClusterSeedNode() throws ConfigException {
        RedisConfig redis = parse("""
                rate_limit:
                  store: redis
                  redis:
                    url: redis://:s3cret@node1.redis.internal:7000
                    cluster: true
                """ + ROUTES).rateLimit().redis();

        assertThat(redis).isEqualTo(new RedisConfig("node1.redis.internal", 7000, 0, false, null, "s3cret",
                Duration.ofMillis(50), RedisFailureMode.LOCAL, true));
        assertThat(parse("rate_limit: {store: redis, redis: {url: 'redis://h/0', cluster: true}}\n" + ROUTES)
                .rateLimit().redis().cluster()).isTrue();
    }

    @Test
    void aRedisStoreIsASingleRedisUnlessSaidOtherwise() throws ConfigException {
        assertThat(parse("rate_limit: {store: redis, redis: {url: 'redis://h/3'}}\n" + ROUTES)
                .rateLimit().redis().cluster()).isFalse();
        assertThat(parse("rate_limit: {store: redis, redis: {url: 'redis://h/3', cluster: false}}\n" + ROUTES)
                .rateLimit().redis()).isEqualTo(new RedisConfig("h", 6379, 3, false, null, null,
                        Duration.ofMillis(50), RedisFailureMode.LOCAL, false));
    }

    @Test
    void reportsADatabaseOtherThanZeroForARedisClusterWithoutShowingThePassword() {
        assertThat(problems("""
                rate_limit:
                  store: redis
                  redis:
                    url: redis://:hunter2@h:7000/2
                    cluster: true
                """ + ROUTES)).containsExactly(
                "gateway.yaml:4:10: url database must be 0 with cluster: true (Redis Cluster has only database 0),"
                        + " got /2; remove the /2 from the url (at /rate_limit/redis/url)");
    }

    @Test
    void reportsAClusterFlagThatIsNotABoolean() {
        assertThat(problems("rate_limit:\n  store: redis\n  redis:\n    url: redis://h\n    cluster: yes please\n"
                + ROUTES)).containsExactly(
                "gateway.yaml:5:14: cluster must be true or false, got the string 'yes please'"
                        + " (at /rate_limit/redis/cluster)");
    }

    @ParameterizedTest
    @CsvSource({
            "redis://:pw@h:1,       , pw, h, 1, 0",
            "redis://pw@h,          , pw, h, 6379, 0",
            "redis://h:7000/,       , , h, 7000, 0",
            "redis://h/15,          , , h, 6379, 15",
            "REDIS://user:p%3Aw@h,  user, p:w, h, 6379, 0",
    })
    void readsTheFormsOfARedisUrl(String url, String user, String password, String host, int port, int db)
            throws ConfigException {
        RedisConfig redis = parse("rate_limit: {store: redis, redis: {url: '" + url + "'}}\n" + ROUTES)
                .rateLimit().redis();

        assertThat(redis.username()).isEqualTo(user);
        assertThat(redis.password()).isEqualTo(password);
        assertThat(redis.host()).isEqualTo(host);
        assertThat(redis.port()).isEqualTo(port);
        assertThat(redis.database()).isEqualTo(db);
    }

    @Test
    void reportsAnUnknownStore() {
        assertThat(problems("rate_limit:\n  store: memcached\n" + ROUTES)).containsExactly(
                "gateway.yaml:2:10: store must be local or redis, got 'memcached' (at /rate_limit/store)");
    }

    @Test
    void reportsARedisStoreWithoutRedisSettings() {
        assertThat(problems("rate_limit:\n  store: redis\n" + ROUTES)).containsExactly(
                "gateway.yaml:2:10: store: redis needs a redis section with at least a url, like"
                        + " redis: {url: redis://localhost:6379} (at /rate_limit/store)");
        assertThat(problems("rate_limit:\n  store: redis\n  redis:\n    timeout: 10ms\n" + ROUTES)).containsExactly(
                "gateway.yaml:4:5: missing required key 'url' (at /rate_limit/redis/url)");
    }

    @Test
    void reportsRedisSettingsThatTheLocalStoreWouldIgnore() {
        assertThat(problems("rate_limit:\n  redis:\n    url: redis://h\n" + ROUTES)).containsExactly(
                "gateway.yaml:2:3: redis is only used with store: redis; add store: redis or remove the redis section"
                        + " (at /rate_limit/redis)");
    }

    @Test
    void reportsBadRedisSettingsEachAtItsLine() {
        assertThat(problems("""
                rate_limit:
                  store: redis
                  redis:
                    url: redis://h
                    timeout: 0ms
                    on_failure: ignore
                    retries: 3
                """ + ROUTES)).containsExactly(
                "gateway.yaml:5:14: timeout must be between 1ms and 10s, got 0ms (at /rate_limit/redis/timeout)",
                "gateway.yaml:6:17: on_failure must be local, open or closed, got 'ignore'"
                        + " (at /rate_limit/redis/on_failure)",
                "gateway.yaml:7:5: unknown key 'retries'; allowed keys are url, timeout, on_failure, cluster"
                        + " (at /rate_limit/redis/retries)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "http://:hunter2@h:6379 | url must start with redis:// or rediss://",
            "redis://:hunter2@h:99999 | url port must be between 1 and 65535, got 99999",
            "redis://:hunter2@h/db1 | url path must be a database number like /0",
            "redis://:hunter2@h?ssl=true | url must not have a query ('?') or fragment ('#')",
            "redis://:hunter2@ | url has no valid host name",
            "redis://:hunter2 x@h | url is not a valid URL (Illegal character in authority at index 8)",
            "redis://:@h | url password is empty or badly percent-encoded (it is not shown)",
            "redis://:hunter2%zz@h | url is not a valid URL (Malformed escape pair at index 16)",
    })
    void reportsBadRedisUrlsWithoutShowingThePassword(String url, String message) {
        List<String> problems = problems("rate_limit:\n  store: redis\n  redis:\n    url: '" + url + "'\n" + ROUTES);

        assertThat(problems).hasSize(1);
        assertThat(problems.get(0)).startsWith("gateway.yaml:4:10: " + message).endsWith("(at /rate_limit/redis/url)")
                .doesNotContain("hunter2");
    }

    @Test
    void neverShowsTheUrlInTypeOrSyntaxErrors() {
        assertThat(problems("rate_limit:\n  store: redis\n  redis:\n    url: [redis://:hunter2@h]\n" + ROUTES))
                .containsExactly("gateway.yaml:4:10: url must be a string, got a list (at /rate_limit/redis/url)");
        assertThat(problems("rate_limit:\n  store: redis\n  redis:\n    url: 'redis://:hunter2@h\n" + ROUTES))
                .isNotEmpty().allSatisfy(p -> assertThat(p).doesNotContain("hunter2"));
    }

    private static GatewayConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, "gateway.yaml");
    }

    private static List<String> problems(String yaml) {
        try {
            ConfigLoader.parse(yaml, "gateway.yaml");
        } catch (ConfigException e) {
            return e.problems();
        }
        return fail("expected a ConfigException for:\n" + yaml);
    }
}
