package io.gatehouse.ratelimit.redis;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.gatehouse.config.RedisConfig;
import io.gatehouse.config.RedisFailureMode;
import io.gatehouse.ratelimit.RateLimitDecision;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Redis limiter and the gateway against a real three-master Redis Cluster started here: limits hold for clients
 * whose keys live on different masters, each request is one {@code EVALSHA} sent straight to its slot's master, and
 * a failed master makes {@code on_failure} apply within the timeout. One cluster serves the whole class (starting
 * one takes about a second); each test uses client names of its own.
 */
class RedisClusterRateLimiterIT {

    private static final Duration WINDOW = Duration.ofSeconds(60);

    private static RedisClusterProcess cluster;
    private final List<RedisRateLimiter> limiters = new ArrayList<>();
    private final List<TestGateway> gateways = new ArrayList<>();
    private WireMockServer backend;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = RedisClusterProcess.start();
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void stopAll() {
        limiters.forEach(RedisRateLimiter::close);
        gateways.forEach(TestGateway::close);
        if (backend != null) {
            backend.stop();
        }
    }

    @Test
    void limitsHoldForClientsWhoseKeysLiveOnDifferentMasters() throws Exception {
        RedisRateLimiter limiter = track(RedisRateLimiter.start(WINDOW, patient(cluster.ports()[0]),
                System::nanoTime));
        Map<Integer, String> clientByMaster = clientsOnEveryMaster(limiter, "limits-");

        for (String client : clientByMaster.values()) {
            List<RateLimitDecision> decisions = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                decisions.add(get(limiter, client, 5));
            }
            assertThat(decisions).filteredOn(RateLimitDecision::allowed).hasSize(5)
                    .extracting(RateLimitDecision::remaining).containsExactly(4L, 3L, 2L, 1L, 0L);
            assertThat(decisions.subList(5, 8)).noneMatch(RateLimitDecision::allowed);
        }
        // Each client's hash is on the master of its slot, holding exactly the admitted requests.
        for (Map.Entry<Integer, String> e : clientByMaster.entrySet()) {
            String key = limiter.redisKey(e.getValue());
            assertThat(countedIn(e.getKey(), key)).isEqualTo(5);
        }
        assertThat(clientByMaster.keySet()).containsExactlyInAnyOrder(cluster.ports()[0], cluster.ports()[1],
                cluster.ports()[2]);
    }

    @Test
    void makesExactlyOneRoundTripPerRequestToTheMasterOfTheKeysSlot() throws Exception {
        RedisRateLimiter limiter = track(RedisRateLimiter.start(WINDOW, patient(cluster.ports()[1]),
                System::nanoTime));
        Map<Integer, String> clientByMaster = clientsOnEveryMaster(limiter, "trips-");
        List<String> clients = List.copyOf(clientByMaster.values());
        for (String client : clients) {
            get(limiter, client, 1_000);
        }

        Map<Integer, RedisProcess.Monitor> monitors = new HashMap<>();
        try {
            for (int port : cluster.ports()) {
                monitors.put(port, RedisProcess.monitor(port));
            }
            List<CompletableFuture<RateLimitDecision>> calls = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                calls.add(limiter.acquire(clients.get(i % clients.size()), 1_000).toCompletableFuture());
            }
            CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            assertThat(calls).allMatch(c -> c.join().allowed());
            for (int port : cluster.ports()) {
                RedisProcess.command(port, "ECHO", "sentinel");
                RedisProcess.Monitor monitor = monitors.get(port);
                RedisProcess.await(Duration.ofSeconds(5), "the sentinel in MONITOR on " + port,
                        () -> monitor.lines().stream().anyMatch(l -> l.contains("\"sentinel\"")));
            }

            int scripts = 0;
            for (Map.Entry<Integer, String> e : clientByMaster.entrySet()) {
                // Only the limiter's script calls: the cluster client's topology reads (CLUSTER NODES, ...) aside.
                List<String> calledHere = monitors.get(e.getKey()).lines().stream()
                        .filter(l -> !l.contains(" lua]") && l.toUpperCase().contains("\"EVAL"))
                        .toList();
                // 300 requests over 3 clients: 100 per client, each an EVALSHA on its own master and nowhere else.
                assertThat(calledHere).hasSize(100).allMatch(l -> l.toUpperCase().contains("\"EVALSHA\"")
                        && l.contains(limiter.redisKey(e.getValue())));
                scripts += calledHere.size();
            }
            assertThat(scripts).isEqualTo(300);
        } finally {
            for (RedisProcess.Monitor monitor : monitors.values()) {
                monitor.close();
            }
        }
    }

    @Test
    void aGatewayOnTheClusterEnforcesTheLimitAcrossInstances() throws Exception {
        backend = new WireMockServer(options().dynamicPort());
        backend.start();
        backend.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("ok")));
        // The seed node is one that does not hold alice's slot: the gateway must find the right master itself.
        String aliceKey = "{gh:alice-gw}:sw:60000000";
        int seed = -1;
        for (int port : cluster.ports()) {
            if (port != cluster.portOf(aliceKey)) {
                seed = port;
            }
        }
        String yaml = GatewayYaml.loopback()
                .key("key_alice_gw_0123456789", "alice-gw", 10)
                .block("""
                        rate_limit:
                          window: 60s
                          store: redis
                          redis:
                            url: redis://127.0.0.1:%d
                            cluster: true
                            timeout: 500ms
                            on_failure: closed
                        """.formatted(seed))
                .route("/api", "http://127.0.0.1:" + backend.port())
                .build();
        gateways.add(TestGateway.start(yaml));
        gateways.add(TestGateway.start(yaml));

        List<RawHttpClient.Response> responses = new ArrayList<>();
        List<RawHttpClient> clients = new ArrayList<>();
        try {
            for (TestGateway gateway : gateways) {
                clients.add(new RawHttpClient(gateway.port()));
            }
            for (int i = 0; i < 16; i++) {
                RawHttpClient client = clients.get(i % clients.size());
                client.send("GET /api/x HTTP/1.1\r\nHost: gw\r\nX-API-Key: key_alice_gw_0123456789\r\n\r\n");
                responses.add(client.read());
            }
        } finally {
            for (RawHttpClient client : clients) {
                client.close();
            }
        }

        List<RawHttpClient.Response> admitted = responses.stream().filter(r -> r.status() == 200).toList();
        assertThat(admitted).extracting(r -> Integer.parseInt(r.header("X-RateLimit-Remaining")))
                .containsExactly(9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
        assertThat(responses.subList(10, 16)).allMatch(r -> r.status() == 429
                && r.header("X-RateLimit-Remaining").equals("0") && r.header("Retry-After") != null);
        assertThat(countedIn(cluster.portOf(aliceKey), aliceKey)).isEqualTo(10);
    }

    @Test
    void appliesOnFailureWithinTheTimeoutWhenAMasterIsDown() throws Exception {
        // A cluster of its own: this test stops one of its masters.
        try (RedisClusterProcess broken = RedisClusterProcess.start()) {
            RedisRateLimiter limiter = track(RedisRateLimiter.start(WINDOW,
                    RedisConfig.of("127.0.0.1", broken.ports()[0]).withCluster(true)
                            .withTimeout(Duration.ofMillis(100)).withOnFailure(RedisFailureMode.OPEN),
                    System::nanoTime));
            String client = null;
            for (int i = 0; client == null; i++) {
                if (broken.portOf(limiter.redisKey("down-" + i)) != broken.ports()[0]) {
                    client = "down-" + i;
                }
            }
            assertThat(get(limiter, client, 1).allowed()).isTrue();
            assertThat(get(limiter, client, 1).allowed()).isFalse();

            broken.stop(broken.portOf(limiter.redisKey(client)));

            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                RateLimitDecision d = limiter.acquire(client, 1).toCompletableFuture().get(2, TimeUnit.SECONDS);
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(100 + 400);
                assertThat(d.allowed()).as("on_failure: open admits while the master is down").isTrue();
            }
            assertThat(limiter.healthy()).isFalse();
        }
    }

    // Helpers.

    /** A Cluster seed node, a timeout no busy machine reaches, and failures surface as errors. */
    private static RedisConfig patient(int seedPort) {
        return RedisConfig.of("127.0.0.1", seedPort).withCluster(true).withTimeout(Duration.ofSeconds(5))
                .withOnFailure(RedisFailureMode.CLOSED);
    }

    /** One client name per master (master port to name), found by asking Redis for the slot of each key. */
    private static Map<Integer, String> clientsOnEveryMaster(RedisRateLimiter limiter, String prefix) {
        Map<Integer, String> byMaster = new LinkedHashMap<>();
        for (int i = 0; byMaster.size() < RedisClusterProcess.MASTERS; i++) {
            assertThat(i).as("clients tried").isLessThan(1000);
            String client = prefix + i;
            byMaster.putIfAbsent(cluster.portOf(limiter.redisKey(client)), client);
        }
        return byMaster;
    }

    /**
     * Tracks the limiter for closing and waits until it is connected: {@code start} waits about a second for the
     * first connection, and on a loaded machine the cluster's topology read and connects can take longer; until then
     * every request takes the failure path, which these tests are not about.
     */
    private RedisRateLimiter track(RedisRateLimiter limiter) {
        limiters.add(limiter);
        RedisProcess.await(Duration.ofSeconds(20), "the limiter to connect to the cluster", limiter::healthy);
        return limiter;
    }

    private static RateLimitDecision get(RedisRateLimiter limiter, String client, long limit) throws Exception {
        return limiter.acquire(client, limit).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @SuppressWarnings("unchecked")
    private static long countedIn(int port, String key) {
        List<Object> flat = (List<Object>) RedisProcess.command(port, "HGETALL", key);
        long total = 0;
        for (int i = 1; i < flat.size(); i += 2) {
            total += Long.parseLong((String) flat.get(i));
        }
        return total;
    }
}
