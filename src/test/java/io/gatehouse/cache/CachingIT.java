package io.gatehouse.cache;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The response cache end to end over real sockets: what is stored and what never is, per-client isolation, Vary,
 * freshness and the backend's Age, revalidation, coalescing, invalidation and purge, and that hits still pass
 * authentication and rate limiting and get their own request ID. The backend counts requests per path and answers
 * with the headers each test chooses.
 */
class CachingIT {

    private static final String ALICE = "key_alice_0001";
    private static final String BOB = "key_bob_0002";

    /** What the backend answers on a path: status, body and header lines; the body may name the client. */
    record Script(int status, String body, List<String> headers) {
    }

    private static final Map<String, Script> scripts = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private static final Map<String, List<TestBackend.Request>> seen = new ConcurrentHashMap<>();
    private static volatile CountDownLatch hold = new CountDownLatch(0);
    private static TestBackend backend;
    private static TestBackend flaky;
    private static GatewayFixture gateway;

    @BeforeAll
    static void start() {
        backend = TestBackend.start((request, connection) -> {
            request.body();
            String target = request.target();
            String path = target.contains("?") ? target.substring(0, target.indexOf('?')) : target;
            counts.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            seen.computeIfAbsent(path, p -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(request);
            if (path.contains("/slow")) {
                hold.await(10, TimeUnit.SECONDS);
            }
            Script script = scripts.getOrDefault(path, new Script(200, "body", List.of("Cache-Control: max-age=60")));
            if (script.status() == 304 && request.header("If-None-Match") == null
                    && request.header("If-Modified-Since") == null) {
                script = new Script(200, "full", script.headers());
            }
            String body = script.body().replace("{client}", String.valueOf(request.header("X-Client-Name")))
                    .replace("{n}", String.valueOf(counts.get(path).get()))
                    .replace("{lang}", String.valueOf(request.header("Accept-Language")));
            if (script.headers().contains("chunked")) {
                List<String> lines = new ArrayList<>(script.headers());
                lines.remove("chunked");
                StringBuilder head = new StringBuilder("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n");
                lines.forEach(l -> head.append(l).append("\r\n"));
                connection.write(head.append("\r\n").toString());
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                connection.write(Integer.toHexString(bytes.length) + "\r\n");
                connection.write(bytes);
                connection.write("\r\n0\r\n\r\n");
                return;
            }
            connection.respond(script.status(), body, script.headers().toArray(new String[0]));
        });
        flaky = TestBackend.start((request, connection) -> connection.respond(200, "kept",
                "Cache-Control: max-age=0"));
        gateway = GatewayFixture.withBackends(backend, flaky).start(GatewayYaml.loopback()
                .key(ALICE, "alice", 100000)
                .key(BOB, "bob", 100000)
                .key("key_limited_03", "limited", 3)
                .block("admin:\n  port: 0\n")
                .block("cors:\n  allow_origins: [\"https://app.example\"]\n")
                .block("cache:\n  max_size: 1MiB\n  max_object: 64KiB\n")
                .route("/api/private", backend.url(), "cache: { ttl: 60s }")
                .route("/api/public", backend.url(), "cache: { shared: true }")
                .route("/api/stale", backend.url(), "cache: { stale_if_error: 60s }")
                .route("/api/paged", backend.url(), "cache: { key_query: [page, sort] }")
                .route("/api/noquery", backend.url(), "cache: { key_query: none, ttl: 0s }")
                .route("/api/solo", backend.url(), "cache: { coalesce: false }")
                .openRoute("/open", backend.url(), "cache: {}")
                .route("/api/flaky", flaky.url(), "cache: { stale_if_error: 60s, shared: true }")
                .route("/api/plain", backend.url()));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @BeforeEach
    void reset() throws Exception {
        scripts.clear();
        counts.clear();
        seen.clear();
        hold = new CountDownLatch(0);
        adminDelete("/cache");
    }

    private static Response get(String target, String key, String... headers) throws Exception {
        return send("GET", target, key, headers);
    }

    private static Response send(String method, String target, String key, String... headers) throws Exception {
        try (RawHttpClient client = gateway.client()) {
            StringBuilder raw = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: gw\r\n");
            if (key != null) {
                raw.append("X-API-Key: ").append(key).append("\r\n");
            }
            for (String header : headers) {
                raw.append(header).append("\r\n");
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                raw.append("Content-Length: 0\r\n");
            }
            client.send(raw.append("\r\n").toString());
            return client.read(method.equals("HEAD"));
        }
    }

    private static Response adminDelete(String target) throws Exception {
        try (RawHttpClient client = new RawHttpClient(gateway.gateway().server().adminPort())) {
            client.send("DELETE " + target + " HTTP/1.1\r\nHost: admin\r\n\r\n");
            return client.read();
        }
    }

    private static int count(String path) {
        AtomicInteger n = counts.get(path);
        return n == null ? 0 : n.get();
    }

    private static void script(String path, int status, String body, String... headers) {
        scripts.put(path, new Script(status, body, List.of(headers)));
    }

    @Test
    void aFreshResponseIsServedFromTheCacheWithAgeAndCacheStatus() throws Exception {
        script("/api/private/a", 200, "hello {n}", "Cache-Control: max-age=60", "Content-Type: text/plain");
        Response first = get("/api/private/a", ALICE);
        assertThat(first.bodyText()).isEqualTo("hello 1");
        assertThat(first.header("Cache-Status")).isEqualTo("gatehouse; fwd=miss; stored");
        Response second = get("/api/private/a", ALICE);
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.bodyText()).isEqualTo("hello 1");
        assertThat(second.header("Cache-Status")).isEqualTo("gatehouse; hit");
        assertThat(second.header("Age")).isNotNull();
        assertThat(Integer.parseInt(second.header("Age"))).isBetween(0, 5);
        assertThat(second.header("Content-Type")).isEqualTo("text/plain");
        assertThat(second.header("Content-Length")).isEqualTo("7");
        assertThat(count("/api/private/a")).isEqualTo(1);
    }

    @Test
    void aClientIsNeverAnsweredWithAnotherClientsResponse() throws Exception {
        script("/api/private/me", 200, "I am {client}", "Cache-Control: max-age=60");
        assertThat(get("/api/private/me", ALICE).bodyText()).isEqualTo("I am alice");
        assertThat(get("/api/private/me", BOB).bodyText()).isEqualTo("I am bob");
        assertThat(get("/api/private/me", ALICE).bodyText()).isEqualTo("I am alice");
        assertThat(get("/api/private/me", BOB).bodyText()).isEqualTo("I am bob");
        assertThat(count("/api/private/me")).isEqualTo(2);
    }

    @Test
    void withVaryEachClientStillHasItsOwnEntries() throws Exception {
        script("/api/private/v", 200, "{client} {lang}", "Cache-Control: max-age=60", "Vary: Accept-Language");
        assertThat(get("/api/private/v", ALICE, "Accept-Language: en").bodyText()).isEqualTo("alice en");
        assertThat(get("/api/private/v", BOB, "Accept-Language: en").bodyText()).isEqualTo("bob en");
        assertThat(get("/api/private/v", ALICE, "Accept-Language: de").bodyText()).isEqualTo("alice de");
        assertThat(get("/api/private/v", ALICE, "Accept-Language: en").bodyText()).isEqualTo("alice en");
        assertThat(get("/api/private/v", BOB, "Accept-Language: en").bodyText()).isEqualTo("bob en");
        assertThat(count("/api/private/v")).isEqualTo(3);
    }

    @Test
    void aSharedRouteSharesPublicResponsesAndNeverAPrivateOne() throws Exception {
        script("/api/public/list", 200, "list for {client}", "Cache-Control: max-age=60");
        assertThat(get("/api/public/list", ALICE).bodyText()).isEqualTo("list for alice");
        assertThat(get("/api/public/list", BOB).bodyText()).isEqualTo("list for alice");
        assertThat(count("/api/public/list")).isEqualTo(1);

        script("/api/public/mine", 200, "mine: {client}", "Cache-Control: private, max-age=60");
        assertThat(get("/api/public/mine", ALICE).bodyText()).isEqualTo("mine: alice");
        Response bob = get("/api/public/mine", BOB);
        assertThat(bob.bodyText()).isEqualTo("mine: bob");
        assertThat(bob.header("Cache-Status")).isEqualTo("gatehouse; fwd=miss");
        assertThat(count("/api/public/mine")).isEqualTo(2);
    }

    @Test
    void responsesThatMustNotBeStoredAreNot() throws Exception {
        for (String header : List.of("Cache-Control: no-store", "Cache-Control: private, max-age=60",
                "Set-Cookie: session=abc", "Vary: *")) {
            String path = "/api/public/never" + Math.abs(header.hashCode());
            script(path, 200, "n{n}", header);
            get(path, ALICE);
            Response again = get(path, ALICE);
            assertThat(again.bodyText()).as(header).isEqualTo("n2");
            assertThat(again.header("Cache-Status")).as(header).isEqualTo("gatehouse; fwd=miss");
        }
    }

    @Test
    void aRequestWithNoStoreBypassesTheCache() throws Exception {
        script("/api/public/ns", 200, "n{n}", "Cache-Control: max-age=60");
        Response bypass = get("/api/public/ns", ALICE, "Cache-Control: no-store");
        assertThat(bypass.header("Cache-Status")).isEqualTo("gatehouse; fwd=bypass");
        assertThat(get("/api/public/ns", ALICE).bodyText()).isEqualTo("n2"); // nothing was stored
    }

    @Test
    void aStatusOutsideTheHeuristicListNeedsExplicitFreshness() throws Exception {
        script("/api/private/created", 302, "moved", "Location: /elsewhere");
        get("/api/private/created", ALICE);
        get("/api/private/created", ALICE);
        assertThat(count("/api/private/created")).isEqualTo(2);
        script("/api/private/nf", 404, "not here");
        get("/api/private/nf", ALICE);
        assertThat(get("/api/private/nf", ALICE).status()).isEqualTo(404);
        assertThat(count("/api/private/nf")).isEqualTo(1); // 404 takes the route's ttl
    }

    @Test
    void aZeroTtlStoresOnlyWhatTheBackendAllows() throws Exception {
        script("/api/noquery/x", 200, "n{n}");
        get("/api/noquery/x", ALICE);
        assertThat(get("/api/noquery/x", ALICE).bodyText()).isEqualTo("n2");
        script("/api/noquery/y", 200, "n{n}", "Cache-Control: max-age=60");
        get("/api/noquery/y?a=1", ALICE);
        assertThat(get("/api/noquery/y?a=2", ALICE).bodyText()).isEqualTo("n1"); // key_query: none
    }

    @Test
    void theBackendsAgeCounts() throws Exception {
        script("/api/private/old", 200, "n{n}", "Cache-Control: max-age=60", "Age: 60");
        get("/api/private/old", ALICE);
        assertThat(get("/api/private/old", ALICE).bodyText()).isEqualTo("n2"); // already stale when it came
        script("/api/private/aged", 200, "n{n}", "Cache-Control: max-age=600", "Age: 100");
        get("/api/private/aged", ALICE);
        Response hit = get("/api/private/aged", ALICE);
        assertThat(hit.bodyText()).isEqualTo("n1");
        assertThat(Integer.parseInt(hit.header("Age"))).isBetween(100, 110);
    }

    @Test
    void aRequestsNoCacheOrMaxAgeZeroGoesToTheBackendAndRefreshesTheEntry() throws Exception {
        script("/api/private/r", 200, "n{n}", "Cache-Control: max-age=60");
        get("/api/private/r", ALICE);
        Response forced = get("/api/private/r", ALICE, "Cache-Control: no-cache");
        assertThat(forced.bodyText()).isEqualTo("n2");
        assertThat(forced.header("Cache-Status")).isEqualTo("gatehouse; fwd=request; stored");
        assertThat(get("/api/private/r", ALICE).bodyText()).isEqualTo("n2");
        assertThat(get("/api/private/r", ALICE, "Cache-Control: max-age=0").bodyText()).isEqualTo("n3");
        assertThat(get("/api/private/r", ALICE).bodyText()).isEqualTo("n3");
    }

    @Test
    void aStaleEntryWithAnEtagIsRevalidatedAndA304RefreshesIt() throws Exception {
        script("/api/private/e", 304, "unused", "Cache-Control: max-age=0", "ETag: \"v1\"");
        Response first = get("/api/private/e", ALICE);
        assertThat(first.bodyText()).isEqualTo("full");
        Response second = get("/api/private/e", ALICE);
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.bodyText()).isEqualTo("full");
        assertThat(second.header("Cache-Status")).isEqualTo("gatehouse; fwd=stale; fwd-status=304");
        assertThat(second.header("ETag")).isEqualTo("\"v1\"");
        assertThat(seen.get("/api/private/e").get(1).header("If-None-Match")).isEqualTo("\"v1\"");
        // The 304 gave a new max-age: from now on it is fresh.
        script("/api/private/e", 304, "unused", "Cache-Control: max-age=60", "ETag: \"v1\"");
        get("/api/private/e", ALICE);
        Response fresh = get("/api/private/e", ALICE);
        assertThat(fresh.header("Cache-Status")).isEqualTo("gatehouse; hit");
        assertThat(fresh.bodyText()).isEqualTo("full");
        assertThat(count("/api/private/e")).isEqualTo(3);
    }

    @Test
    void aNoCacheResponseIsStoredButRevalidatedBeforeEveryUse() throws Exception {
        script("/api/private/nc", 304, "unused", "Cache-Control: no-cache", "Last-Modified: Tue, 01 Dec 2026 10:00:00 GMT");
        get("/api/private/nc", ALICE);
        for (int i = 0; i < 3; i++) {
            Response again = get("/api/private/nc", ALICE);
            assertThat(again.bodyText()).isEqualTo("full");
            assertThat(again.header("Cache-Status")).isEqualTo("gatehouse; fwd=stale; fwd-status=304");
        }
        assertThat(count("/api/private/nc")).isEqualTo(4);
        assertThat(seen.get("/api/private/nc").get(3).header("If-Modified-Since"))
                .isEqualTo("Tue, 01 Dec 2026 10:00:00 GMT");
    }

    @Test
    void theClientsOwnConditionalOnAHitGetsA304() throws Exception {
        script("/api/private/c", 200, "content", "Cache-Control: max-age=60", "ETag: \"abc\"");
        get("/api/private/c", ALICE);
        Response conditional = get("/api/private/c", ALICE, "If-None-Match: \"abc\"");
        assertThat(conditional.status()).isEqualTo(304);
        assertThat(conditional.body()).isEmpty();
        assertThat(get("/api/private/c", ALICE, "If-None-Match: \"other\"").status()).isEqualTo(200);
        assertThat(count("/api/private/c")).isEqualTo(1);
    }

    @Test
    void concurrentMissesMakeOneBackendRequest() throws Exception {
        script("/api/public/slow", 200, "one answer {n}", "Cache-Control: max-age=60");
        long joined = cache().joins();
        List<Response> responses = concurrently(10, () -> get("/api/public/slow", ALICE),
                () -> cache().joins() - joined == 9);
        for (Response response : responses) {
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("one answer 1");
        }
        assertThat(count("/api/public/slow")).isEqualTo(1);
    }

    @Test
    void waitersOfAnUnstorableResponseEachGoToTheBackendThemselves() throws Exception {
        script("/api/public/slowprivate", 200, "for {client}", "Cache-Control: private");
        long joined = cache().joins();
        List<Response> responses = concurrently(6, () -> get("/api/public/slowprivate", BOB),
                () -> cache().joins() - joined == 5);
        for (Response response : responses) {
            assertThat(response.bodyText()).isEqualTo("for bob");
        }
        assertThat(count("/api/public/slowprivate")).isEqualTo(6);
    }

    @Test
    void withoutCoalescingConcurrentMissesEachGoToTheBackend() throws Exception {
        script("/api/solo/slow", 200, "n", "Cache-Control: max-age=60");
        concurrently(4, () -> get("/api/solo/slow", ALICE), () -> count("/api/solo/slow") == 4);
        assertThat(count("/api/solo/slow")).isEqualTo(4);
    }

    private static HttpCache cache() {
        return gateway.gateway().server().cache();
    }

    /**
     * Sends {@code n} requests while the backend holds its slow paths, and lets it answer once {@code allArrived}
     * (every request is at the backend or waiting on another's fill).
     */
    private static List<Response> concurrently(int n, java.util.concurrent.Callable<Response> request,
                                               java.util.function.BooleanSupplier allArrived) throws Exception {
        hold = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Response>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(pool.submit(request));
            }
            io.gatehouse.testing.Await.until(java.time.Duration.ofSeconds(10), "every request arriving", allArrived);
            hold.countDown();
            List<Response> responses = new ArrayList<>();
            for (Future<Response> future : futures) {
                responses.add(future.get(20, TimeUnit.SECONDS));
            }
            return responses;
        } finally {
            hold.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void aSuccessfulWriteDropsThePathsEntries() throws Exception {
        script("/api/public/item", 200, "v{n}", "Cache-Control: max-age=60");
        get("/api/public/item", ALICE);
        get("/api/public/item?x=1", ALICE);
        assertThat(get("/api/public/item", ALICE).bodyText()).isEqualTo("v1");
        script("/api/public/item", 500, "failed");
        send("PUT", "/api/public/item", ALICE);
        script("/api/public/item", 200, "v{n}", "Cache-Control: max-age=60");
        assertThat(get("/api/public/item", ALICE).bodyText()).isEqualTo("v1"); // a failed write drops nothing
        script("/api/public/item", 204, "");
        send("DELETE", "/api/public/item", ALICE);
        script("/api/public/item", 200, "v{n}", "Cache-Control: max-age=60");
        assertThat(get("/api/public/item", ALICE).bodyText()).isEqualTo("v5");
        assertThat(get("/api/public/item?x=1", ALICE).bodyText()).isEqualTo("v6");
    }

    @Test
    void theAdminPortPurgesEverythingOrOneRoute() throws Exception {
        script("/api/public/p", 200, "p{n}", "Cache-Control: max-age=60");
        script("/api/private/p", 200, "q{n}", "Cache-Control: max-age=60");
        get("/api/public/p", ALICE);
        get("/api/private/p", ALICE);
        Response purged = adminDelete("/cache?route=/api/public");
        assertThat(purged.status()).isEqualTo(200);
        assertThat(purged.bodyText()).isEqualTo("{\"purged\":1,\"route\":\"/api/public\"}");
        assertThat(get("/api/public/p", ALICE).bodyText()).isEqualTo("p2");
        assertThat(get("/api/private/p", ALICE).bodyText()).isEqualTo("q1");
        assertThat(adminDelete("/cache").bodyText()).isEqualTo("{\"purged\":\"all\"}");
        assertThat(get("/api/private/p", ALICE).bodyText()).isEqualTo("q2");
        assertThat(adminDelete("/cache?route=/api/plain").status()).isEqualTo(404);
        try (RawHttpClient client = new RawHttpClient(gateway.gateway().server().adminPort())) {
            client.send("GET /cache HTTP/1.1\r\nHost: admin\r\n\r\n");
            Response get = client.read();
            assertThat(get.status()).isEqualTo(405);
            assertThat(get.header("Allow")).isEqualTo("DELETE");
        }
    }

    @Test
    void aHitStillNeedsAValidKeyAndCountsAgainstTheLimit() throws Exception {
        script("/api/public/limited", 200, "shared", "Cache-Control: max-age=60");
        get("/api/public/limited", ALICE);
        assertThat(get("/api/public/limited", null).status()).isEqualTo(401);
        assertThat(get("/api/public/limited", "key_wrong_9999").status()).isEqualTo(403);
        for (int i = 0; i < 3; i++) {
            Response hit = get("/api/public/limited", "key_limited_03");
            assertThat(hit.header("Cache-Status")).isEqualTo("gatehouse; hit");
            assertThat(hit.header("X-RateLimit-Remaining")).isEqualTo(String.valueOf(2 - i));
        }
        assertThat(get("/api/public/limited", "key_limited_03").status()).isEqualTo(429);
        assertThat(count("/api/public/limited")).isEqualTo(1);
    }

    @Test
    void aHitGetsItsOwnRequestIdAndCorsHeaders() throws Exception {
        script("/api/public/h", 200, "h", "Cache-Control: max-age=60", "X-Request-Id: from-backend");
        Response first = get("/api/public/h", ALICE);
        Response hit = get("/api/public/h", ALICE, "Origin: https://app.example");
        assertThat(hit.header("Cache-Status")).isEqualTo("gatehouse; hit");
        assertThat(hit.header("X-Request-Id")).isNotEqualTo(first.header("X-Request-Id")).isNotEqualTo("from-backend");
        assertThat(hit.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example");
        Response withoutOrigin = get("/api/public/h", ALICE);
        assertThat(withoutOrigin.header("Access-Control-Allow-Origin")).isNull();
    }

    @Test
    void aHeadIsAnsweredFromTheGetsEntry() throws Exception {
        script("/api/public/hd", 200, "twelve bytes", "Cache-Control: max-age=60");
        get("/api/public/hd", ALICE);
        Response head = send("HEAD", "/api/public/hd", ALICE);
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("Content-Length")).isEqualTo("12");
        assertThat(head.body()).isEmpty();
        assertThat(head.header("Cache-Status")).isEqualTo("gatehouse; hit");
        assertThat(count("/api/public/hd")).isEqualTo(1);
    }

    @Test
    void aResponseOverMaxObjectStreamsThroughUnstored() throws Exception {
        String big = "x".repeat(70 * 1024);
        script("/api/public/big", 200, big, "Cache-Control: max-age=60");
        Response first = get("/api/public/big", ALICE);
        assertThat(first.body()).hasSize(big.length());
        assertThat(first.header("Cache-Status")).isEqualTo("gatehouse; fwd=miss");
        assertThat(get("/api/public/big", ALICE).body()).hasSize(big.length());
        assertThat(count("/api/public/big")).isEqualTo(2);

        script("/api/public/bigchunked", 200, big, "chunked", "Cache-Control: max-age=60");
        assertThat(get("/api/public/bigchunked", ALICE).body()).hasSize(big.length());
        assertThat(get("/api/public/bigchunked", ALICE).body()).hasSize(big.length());
        assertThat(count("/api/public/bigchunked")).isEqualTo(2);

        script("/api/public/smallchunked", 200, "small", "chunked", "Cache-Control: max-age=60");
        assertThat(get("/api/public/smallchunked", ALICE).header("Cache-Status")).isEqualTo("gatehouse; fwd=miss");
        Response hit = get("/api/public/smallchunked", ALICE);
        assertThat(hit.bodyText()).isEqualTo("small");
        assertThat(hit.header("Content-Length")).isEqualTo("5");
        assertThat(count("/api/public/smallchunked")).isEqualTo(1);
    }

    @Test
    void aFailingBackendIsAnsweredWithAStaleEntryWithinStaleIfError() throws Exception {
        script("/api/stale/s", 200, "good", "Cache-Control: max-age=0");
        get("/api/stale/s", ALICE);
        script("/api/stale/s", 503, "down");
        Response stale = get("/api/stale/s", ALICE);
        assertThat(stale.status()).isEqualTo(200);
        assertThat(stale.bodyText()).isEqualTo("good");
        assertThat(stale.header("Cache-Status")).isEqualTo("gatehouse; fwd=stale; fwd-status=503; detail=stale-if-error");
        script("/api/stale/m", 200, "good", "Cache-Control: max-age=0, must-revalidate");
        get("/api/stale/m", ALICE);
        script("/api/stale/m", 503, "down");
        assertThat(get("/api/stale/m", ALICE).status()).isEqualTo(503); // must-revalidate: never stale
        // Without stale_if_error on the route, a failure is the client's.
        script("/api/private/down", 200, "good", "Cache-Control: max-age=0");
        get("/api/private/down", ALICE);
        script("/api/private/down", 503, "down");
        assertThat(get("/api/private/down", ALICE).status()).isEqualTo(503);
    }

    @Test
    void aBackendThatCannotBeReachedIsCoveredByAStaleEntryToo() throws Exception {
        assertThat(get("/api/flaky/x", ALICE).bodyText()).isEqualTo("kept");
        int port = java.net.URI.create(flaky.url()).getPort();
        flaky.close();
        // The JDK closes a socket that a thread is blocked on only once that thread wakes: until then the backend
        // can still accept. "Cannot be reached" means refused.
        io.gatehouse.testing.Await.until(java.time.Duration.ofSeconds(10), "the flaky backend to refuse", () -> {
            try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
                return false;
            } catch (java.io.IOException refused) {
                return true;
            }
        });
        Response stale = get("/api/flaky/x", ALICE);
        assertThat(stale.status()).isEqualTo(200);
        assertThat(stale.bodyText()).isEqualTo("kept");
        assertThat(stale.header("Cache-Status")).startsWith("gatehouse; fwd=stale; fwd-status=50")
                .endsWith("; detail=stale-if-error");
        assertThat(get("/api/flaky/other", ALICE).status()).isIn(502, 503); // nothing stored for that one
    }

    @Test
    void aRangeRequestIsNeitherAnsweredFromTheStoreNorStored() throws Exception {
        script("/api/public/range", 200, "n{n}", "Cache-Control: max-age=60");
        get("/api/public/range", ALICE);
        Response ranged = get("/api/public/range", ALICE, "Range: bytes=0-0");
        assertThat(ranged.header("Cache-Status")).isEqualTo("gatehouse; fwd=bypass");
        assertThat(count("/api/public/range")).isEqualTo(2);
        assertThat(get("/api/public/range", ALICE).bodyText()).isEqualTo("n1");
    }

    @Test
    void keyQueryKeepsTheListedParametersInNameOrder() throws Exception {
        script("/api/paged/list", 200, "n{n}", "Cache-Control: max-age=60");
        get("/api/paged/list?sort=name&page=2&tracking=abc", ALICE);
        assertThat(get("/api/paged/list?page=2&sort=name&tracking=xyz", ALICE).bodyText()).isEqualTo("n1");
        assertThat(get("/api/paged/list?page=3&sort=name", ALICE).bodyText()).isEqualTo("n2");
        assertThat(seen.get("/api/paged/list").get(0).target()).isEqualTo("/api/paged/list?sort=name&page=2&tracking=abc");
    }

    @Test
    void onlyIfCachedIsAnswered504OnAMiss() throws Exception {
        Response miss = get("/api/public/oic", ALICE, "Cache-Control: only-if-cached");
        assertThat(miss.status()).isEqualTo(504);
        assertThat(miss.bodyText()).isEqualTo("{\"error\":\"Not in the cache\"}");
        assertThat(count("/api/public/oic")).isZero();
    }

    @Test
    void anOpenRouteDoesNotCacheRequestsThatCarryCredentialsItCannotCheck() throws Exception {
        script("/open/o", 200, "n{n}", "Cache-Control: max-age=60");
        get("/open/o", null);
        assertThat(get("/open/o", null).bodyText()).isEqualTo("n1");
        Response withCookie = get("/open/o", null, "Cookie: session=secret");
        assertThat(withCookie.bodyText()).isEqualTo("n2");
        assertThat(withCookie.header("Cache-Status")).isEqualTo("gatehouse; fwd=bypass");
        assertThat(get("/open/o", null, "Authorization: Bearer abc").bodyText()).isEqualTo("n3");
    }

    @Test
    void lookupsAndTheStoresSizeAreMetrics() throws Exception {
        script("/api/private/m", 200, "metered", "Cache-Control: max-age=60");
        int admin = gateway.gateway().server().adminPort();
        double hits = io.gatehouse.testing.Scrape.of(admin).value("gatehouse_cache_lookups_total",
                "route", "/api/private", "result", "hit");
        double misses = io.gatehouse.testing.Scrape.of(admin).value("gatehouse_cache_lookups_total",
                "route", "/api/private", "result", "miss");
        get("/api/private/m", ALICE);
        get("/api/private/m", ALICE);
        get("/api/private/m", ALICE);
        io.gatehouse.testing.Scrape after = io.gatehouse.testing.Scrape.of(admin);
        assertThat(after.value("gatehouse_cache_lookups_total", "route", "/api/private", "result", "hit") - hits)
                .isEqualTo(2);
        assertThat(after.value("gatehouse_cache_lookups_total", "route", "/api/private", "result", "miss") - misses)
                .isEqualTo(1);
        assertThat(after.value("gatehouse_cache_entries")).isGreaterThanOrEqualTo(1);
        assertThat(after.value("gatehouse_cache_bytes")).isGreaterThan(7);
    }

    @Test
    void aRouteWithoutCacheIsUntouched() throws Exception {
        script("/api/plain/x", 200, "n{n}", "Cache-Control: max-age=60");
        Response first = get("/api/plain/x", ALICE);
        assertThat(first.header("Cache-Status")).isNull();
        assertThat(get("/api/plain/x", ALICE).bodyText()).isEqualTo("n2");
    }
}
