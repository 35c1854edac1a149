package io.gatehouse.ratelimit.redis;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Three gateways sharing one Redis, requests spread across them. The window (60 s) is far longer than each test,
 * so every request of a test falls in one window and the strict guarantee (never more than the limit in any
 * window) leaves no tolerance: exactly {@code limit} are admitted in total, however the requests are spread.
 */
class SharedRateLimitIT {

    private static final int LIMIT = 10;
    private static final String ALICE = "key_alice_0123456789";
    private static final String BOB = "key_bob_0123456789";
    private static final String PROBE = "key_probe_0123456789";
    /**
     * The gateways' Redis timeout is 500 ms, not the production 50 ms, so that a slow CI machine never turns a late
     * answer into a local decision and an exact count into a flaky one; the 50 ms path (a hung Redis) is covered
     * by RedisRateLimiterIT. A stopped Redis refuses at once, so answers stay well inside this bound.
     */
    private static final long MAX_ANSWER_MILLIS = 500 + 1000;

    private RedisProcess redis;
    private WireMockServer backend;
    private final List<TestGateway> gateways = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        redis = RedisProcess.start();
        backend = new WireMockServer(options().dynamicPort());
        backend.start();
        backend.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("ok")));
    }

    @AfterEach
    void stop() {
        gateways.forEach(TestGateway::close);
        backend.stop();
        redis.close();
    }

    @Test
    void threeInstancesAdmitTheLimitOnceBetweenThem() throws Exception {
        startGateways(3, "local");
        awaitShared();
        List<RawHttpClient.Response> responses = spread(ALICE, 3 * LIMIT + 6);

        List<RawHttpClient.Response> admitted = responses.stream().filter(r -> r.status() == 200).toList();
        assertThat(admitted).hasSize(LIMIT);
        assertThat(responses).filteredOn(r -> r.status() == 429).hasSize(2 * LIMIT + 6)
                .allMatch(r -> r.header("X-RateLimit-Remaining").equals("0") && r.header("Retry-After") != null);
        // One shared counter: the remaining counts the instances reported are 9..0, each once.
        assertThat(admitted).extracting(r -> Integer.parseInt(r.header("X-RateLimit-Remaining")))
                .containsExactlyInAnyOrder(9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
        assertThat(admitted).allMatch(r -> r.header("X-RateLimit-Limit").equals(Integer.toString(LIMIT)));
    }

    @Test
    void fallsBackToPerInstanceLimitsWhileRedisIsDownAndSharesThemAgainAfter() throws Exception {
        startGateways(3, "local");
        awaitShared();
        assertThat(spread(ALICE, 3)).allMatch(r -> r.status() == 200);

        redis.stop();
        // Each instance counts alone from zero: at most LIMIT each, 3 × LIMIT in all (the documented cost).
        List<RawHttpClient.Response> during = timedSpread(BOB, 3 * LIMIT + 6);
        assertThat(during).filteredOn(r -> r.status() == 200).hasSize(3 * LIMIT);
        assertThat(during).filteredOn(r -> r.status() == 429).hasSize(6);

        redis.restart();
        awaitShared();
        // Redis restarted empty, and BOB's local counts are no longer consulted: the shared limit holds again.
        List<RawHttpClient.Response> after = spread(BOB, 2 * LIMIT);
        assertThat(after).filteredOn(r -> r.status() == 200).hasSize(LIMIT);
    }

    @Test
    void answers503WhileRedisIsDownWhenFailingClosed() throws Exception {
        startGateways(2, "closed");
        awaitShared();
        assertThat(spread(ALICE, 2)).allMatch(r -> r.status() == 200);

        redis.stop();
        for (RawHttpClient.Response r : timedSpread(ALICE, 6)) {
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.bodyText()).isEqualTo("{\"error\":\"Rate limiter unavailable\"}");
        }

        redis.restart();
        awaitShared();
        assertThat(spread(ALICE, 2 * LIMIT)).filteredOn(r -> r.status() == 200).hasSize(LIMIT);
    }

    @Test
    void admitsEveryRequestWhileRedisIsDownWhenFailingOpen() throws Exception {
        startGateways(2, "open");
        awaitShared();
        assertThat(spread(ALICE, LIMIT)).allMatch(r -> r.status() == 200);
        assertThat(spread(ALICE, 2)).allMatch(r -> r.status() == 429);

        redis.stop();
        assertThat(timedSpread(ALICE, 3 * LIMIT)).allMatch(r -> r.status() == 200
                && r.header("X-RateLimit-Limit").equals(Integer.toString(LIMIT)));
    }

    // Helpers.

    private void startGateways(int count, String onFailure) {
        String yaml = GatewayYaml.loopback()
                .key(ALICE, "alice", LIMIT)
                .key(BOB, "bob", LIMIT)
                .key(PROBE, "probe", 1000000)
                .block("""
                        rate_limit:
                          window: 60s
                          store: redis
                          redis:
                            url: redis://127.0.0.1:%d
                            timeout: 500ms
                            on_failure: %s
                        """.formatted(redis.port(), onFailure))
                .route("/api", "http://127.0.0.1:" + backend.port())
                .build();
        for (int i = 0; i < count; i++) {
            gateways.add(TestGateway.start(yaml));
        }
    }

    /** {@code n} requests round-robin over the gateways, one keep-alive connection each. */
    private List<RawHttpClient.Response> spread(String key, int n) throws IOException {
        List<RawHttpClient> clients = new ArrayList<>();
        try {
            for (TestGateway gateway : gateways) {
                clients.add(new RawHttpClient(gateway.port()));
            }
            List<RawHttpClient.Response> responses = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                RawHttpClient client = clients.get(i % clients.size());
                client.send("GET /api/x HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + key + "\r\n\r\n");
                responses.add(client.read());
            }
            return responses;
        } finally {
            for (RawHttpClient client : clients) {
                client.close();
            }
        }
    }

    /** Like {@link #spread}, one request at a time, each of which must be answered within the bound. */
    private List<RawHttpClient.Response> timedSpread(String key, int n) throws IOException {
        List<RawHttpClient.Response> responses = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            try (RawHttpClient client = new RawHttpClient(gateways.get(i % gateways.size()).port())) {
                long start = System.nanoTime();
                client.send("GET /api/x HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + key + "\r\n\r\n");
                responses.add(client.read());
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
                        .isLessThanOrEqualTo(MAX_ANSWER_MILLIS);
            }
        }
        return responses;
    }

    /** Until every gateway counts in Redis again: a probe request through each one shows up in Redis. */
    private void awaitShared() {
        for (TestGateway gateway : gateways) {
            RedisProcess.await(Duration.ofSeconds(10), "gateway " + gateway.port() + " sharing limits again", () -> {
                try (RawHttpClient client = new RawHttpClient(gateway.port())) {
                    long before = probeCount();
                    client.send("GET /api/x HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + PROBE + "\r\n\r\n");
                    return client.read().status() == 200 && probeCount() == before + 1;
                } catch (IOException | UncheckedIOException | IllegalStateException e) {
                    return false;
                }
            });
        }
    }

    @SuppressWarnings("unchecked")
    private long probeCount() {
        List<Object> flat = (List<Object>) redis.command("HGETALL", "{gh:probe}:sw:60000000");
        long total = 0;
        for (int i = 1; i < flat.size(); i += 2) {
            total += Long.parseLong((String) flat.get(i));
        }
        return total;
    }
}
