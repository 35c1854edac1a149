package io.gatehouse.ratelimit.redis;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.RateLimitPolicyConfig;
import io.gatehouse.reload.ConfigReloader;
import io.gatehouse.reload.ReloadOutcome;
import io.gatehouse.server.GatehouseServer;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code rate_limit.store} and {@code rate_limit.redis} reload without a restart: local → Redis moves the counting
 * to Redis, and a changed Redis setting (a new limiter) keeps the counts, which live in Redis.
 */
class RedisStoreReloadIT {

    private static final int LIMIT = 3;

    @TempDir
    Path dir;

    private RedisProcess redis;
    private TestBackend backend;
    private GatehouseServer server;
    private ConfigReloader reloader;
    private Path file;

    @BeforeEach
    void start() throws Exception {
        redis = RedisProcess.start();
        backend = TestBackend.start(TestBackend.ok("ok"));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        backend.close();
        redis.close();
    }

    private String yaml(String rateLimit) {
        return GatewayYaml.loopback().server("watch_config: false").key(GatewayYaml.KEY, GatewayYaml.CLIENT, LIMIT)
                .block(rateLimit).route("/api", backend.url()).build();
    }

    private String redisStore(String timeout) {
        return """
                rate_limit:
                  window: 60s
                  store: redis
                  redis:
                    url: redis://127.0.0.1:%d
                    timeout: %s
                """.formatted(redis.port(), timeout);
    }

    private ReloadOutcome reload(String yaml) throws Exception {
        Files.writeString(file, yaml);
        return reloader.request("test").get(30, TimeUnit.SECONDS);
    }

    private int get() throws IOException {
        try (RawHttpClient client = new RawHttpClient(server.port())) {
            return client.send("GET /api/x HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + GatewayYaml.KEY + "\r\n\r\n")
                    .read().status();
        }
    }

    private long countedInRedis() {
        Object count = redis.command("HGETALL", RedisRateLimiter.redisKey(GatewayYaml.CLIENT,
                new RateLimitPolicyConfig(RateLimitPolicyConfig.DEFAULT, LIMIT, Duration.ofSeconds(60))));
        long total = 0;
        java.util.List<?> flat = (java.util.List<?>) count;
        for (int i = 1; i < flat.size(); i += 2) {
            total += Long.parseLong(flat.get(i).toString());
        }
        return total;
    }

    @Test
    void aReloadMovesTheCountersToRedisAndAChangedRedisSettingKeepsThem() throws Exception {
        file = Files.writeString(dir.resolve("gateway.yaml"), yaml("rate_limit:\n  window: 60s\n"));
        server = GatehouseServer.start(ConfigLoader.load(file));
        reloader = server.reloadFrom(file);
        assertThat(get()).isEqualTo(200);
        assertThat(countedInRedis()).as("counted in the process").isZero();

        assertThat(reload(yaml(redisStore("500ms"))).result()).isEqualTo(ReloadOutcome.Result.SUCCESS);
        assertThat(get()).isEqualTo(200);
        assertThat(get()).isEqualTo(200);
        assertThat(countedInRedis()).as("counted in Redis from the reload on").isEqualTo(2);

        // Another timeout is another limiter; the counts are Redis's, so they carry on.
        assertThat(reload(yaml(redisStore("700ms"))).result()).isEqualTo(ReloadOutcome.Result.SUCCESS);
        assertThat(get()).isEqualTo(200);
        assertThat(get()).as("the fourth of 3, counted across the change").isEqualTo(429);
        assertThat(countedInRedis()).isEqualTo(3);
        assertThat(server.configStatus().pendingRestart()).isEmpty();
    }
}
