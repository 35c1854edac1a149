package io.gatehouse.security;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import io.gatehouse.auth.ApiClient;
import io.gatehouse.auth.ApiKeys;
import io.gatehouse.server.ExchangeHandler;
import io.gatehouse.config.RateLimitPolicyConfig;
import io.gatehouse.ratelimit.LocalRateLimiter;
import io.gatehouse.ratelimit.RateLimitResult;
import io.gatehouse.ratelimit.RateLimiter;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.HttpFixtures;
import io.gatehouse.testing.HttpFixtures.ExchangeStarter;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static io.gatehouse.security.CaseGateway.CLIENT;
import static io.gatehouse.security.CaseGateway.KEY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Named.named;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * SECURITY-CASES.md, "Authentication": rows A1 to A7, through the whole gateway where a socket can show the
 * behaviour, and on {@link ApiKeys} or an {@code EmbeddedChannel} where only the inside can (A6's comparison, A7's
 * limiter state).
 */
class AuthCasesIT {

    private static final RateLimitPolicyConfig DEFAULT_POLICY =
            RateLimitPolicyConfig.defaultPolicy(1, Duration.ofSeconds(60));

    private static CaseGateway gateway;

    @BeforeAll
    static void start() {
        gateway = CaseGateway.start(backend -> GatewayYaml.standard()
                .route("/api", backend)
                .openRoute("/open", backend)
                .route("/down", TestBackend.closedUrl()));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    static Stream<Arguments> missingKeys() {
        return Stream.of(
                arguments(named("no key", "GET /api/a HTTP/1.1\r\nHost: gw\r\n\r\n")),
                arguments(named("empty key", "GET /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key:\r\n\r\n")),
                arguments(named("blank key", "GET /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key:    \r\n\r\n")),
                arguments(named("key only in the query string",
                        "GET /api/a?api_key=" + KEY + "&X-API-Key=" + KEY + " HTTP/1.1\r\nHost: gw\r\n\r\n")),
                arguments(named("key in another header",
                        "GET /api/a HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer " + KEY + "\r\n\r\n")));
    }

    @ParameterizedTest(name = "A1: {0}")
    @MethodSource("missingKeys")
    @DisplayName("A1: no key, an empty key, or a key only in the query string is answered 401 and nothing forwarded")
    void aMissingKeyIsAnswered401AndNothingIsForwarded(String raw) throws Exception {
        gateway.assertRefused(raw, 401);
    }

    @ParameterizedTest(name = "A2: {0}")
    @ValueSource(strings = {"X-API-Key: " + KEY + "\r\nX-API-Key: " + KEY,
            "X-API-Key: " + KEY + "\r\nx-api-key: other",
            "X-API-Key: " + KEY + ", other",
            "X-API-Key: other, " + KEY})
    @DisplayName("A2: two key lines or a key list is answered 401 and nothing forwarded")
    void twoKeysAreAnswered401AndNothingIsForwarded(String headers) throws Exception {
        Response response = gateway.assertRefused("GET /api/a HTTP/1.1\r\nHost: gw\r\n" + headers + "\r\n\r\n", 401);
        assertThat(response.bodyText()).isEqualTo("{\"error\":\"More than one X-API-Key value\"}");
    }

    @ParameterizedTest(name = "A3: {0}")
    @ValueSource(strings = {"x-api-key", "X-API-KEY", "x-Api-kEy"})
    @DisplayName("A3: the key header's name matches in any case")
    void theKeyHeaderNameMatchesInAnyCase(String name) throws Exception {
        assertAuthenticated("GET /api/case HTTP/1.1\r\nHost: gw\r\n" + name + ": " + KEY + "\r\n\r\n");
    }

    @ParameterizedTest(name = "A3: [{0}]")
    @ValueSource(strings = {"   " + KEY + "   ", "\t" + KEY + "\t", " \t" + KEY})
    @DisplayName("A3: spaces and tabs around the key are trimmed")
    void spacesAroundTheKeyAreTrimmed(String value) throws Exception {
        assertAuthenticated("GET /api/trim HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + value + "\r\n\r\n");
    }

    static Stream<Arguments> keysWithForbiddenBytes() {
        return Stream.of(
                arguments(named("control byte 0x01", "key_live_\u0001abc123")),
                arguments(named("NUL", "key_live_\u0000abc123")),
                arguments(named("DEL", "key_live_\u007fabc123")),
                arguments(named("tab inside", "key_live\tabc123")),
                arguments(named("space inside", "key_live abc123")),
                arguments(named("8-bit byte", "key_live_\u00e9abc123")));
    }

    @ParameterizedTest(name = "A3: {0}")
    @MethodSource("keysWithForbiddenBytes")
    @DisplayName("A3: a control byte or other non-visible byte in the key is refused")
    void aControlByteInTheKeyIsRefused(String value) throws Exception {
        gateway.assertRejected(("GET /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + value + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1), 400);
    }

    @Test
    @DisplayName("A4: the backend gets the client's name, set by the gateway over any copy the client sent, "
            + "and never the key")
    void theBackendGetsTheClientNameAndNeverTheKey() throws Exception {
        TestBackend.Request forwarded = assertAuthenticated("POST /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY
                + "\r\nX-Client-Name: admin\r\nx-client-name: root\r\nContent-Length: 4\r\n\r\nbody");
        assertThat(forwarded.headers("X-Client-Name")).containsExactly(CLIENT);
        assertThat(forwarded.headers("X-API-Key")).isEmpty();
        assertThat(forwarded.headerLines()).allSatisfy(line -> assertThat(line[1]).doesNotContain(KEY));
        assertThat(forwarded.target()).doesNotContain(KEY);
    }

    @Test
    @DisplayName("A4: on an open route a client-sent X-Client-Name and X-API-Key never reach the backend")
    void anOpenRouteForwardsNeitherAClientNameNorAKey() throws Exception {
        int mark = gateway.mark();
        Response response = gateway.exchange("GET /open/a HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY
                + "\r\nX-Client-Name: admin\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        TestBackend.Request forwarded = gateway.backend().requests().get(mark);
        assertThat(forwarded.headers("X-Client-Name")).isEmpty();
        assertThat(forwarded.headers("X-API-Key")).isEmpty();
    }

    @Test
    @DisplayName("A5: headers named in the client's Connection header are removed before the gateway adds its own")
    void clientHopByHopHeadersAreRemovedBeforeTheGatewayAddsItsOwn() throws Exception {
        int mark = gateway.mark();
        Response response = gateway.exchange("GET /api/hop HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY
                + "\r\nConnection: X-Request-Id, X-Forwarded-For, X-Client-Name, X-Forwarded-Host\r\n"
                + "X-Request-Id: forged-id\r\nX-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Host: evil.example\r\n"
                + "X-Client-Name: admin\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        TestBackend.Request forwarded = gateway.backend().requests().get(mark);
        assertThat(forwarded.headers("X-Request-Id")).containsExactly(response.header("X-Request-Id"));
        assertThat(response.header("X-Request-Id")).isNotEqualTo("forged-id");
        assertThat(forwarded.headers("X-Forwarded-For")).containsExactly("127.0.0.1");
        assertThat(forwarded.headers("X-Forwarded-Host")).containsExactly("gw");
        assertThat(forwarded.headers("X-Client-Name")).containsExactly(CLIENT);
        assertThat(forwarded.headers("Connection")).isEmpty();
    }

    /** Every logger, at DEBUG, while requests carrying keys go every way a request can go. */
    @Test
    @DisplayName("A6: no key appears in any log line, exception or error response, whatever happens to the request")
    void noKeyAppearsInAnyLogLineExceptionOrErrorResponse() throws Exception {
        String wrongKey = "key_live_abc12_wrong_secret";
        String queryKey = "key_live_secret_in_query";
        String malformedKey = "key_live_secret\twith_tab";
        List<String> captured = new CopyOnWriteArrayList<>();
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        Logger netty = context.getLogger("io.netty");
        Level rootLevel = root.getLevel();
        Level nettyLevel = netty.getLevel();
        AppenderBase<ILoggingEvent> everything = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent event) {
                captured.add(event.getLoggerName() + " " + event.getFormattedMessage() + " "
                        + Arrays.toString(event.getArgumentArray()) + " "
                        + (event.getThrowableProxy() != null ? ThrowableProxyUtil.asString(event.getThrowableProxy())
                        : ""));
            }
        };
        everything.setContext(context);
        everything.start();
        root.addAppender(everything);
        root.setLevel(Level.DEBUG);
        netty.setLevel(Level.DEBUG);
        List<Response> responses = new ArrayList<>();
        try {
            String host = "Host: gw\r\n";
            responses.add(gateway.exchange("GET /api/ok HTTP/1.1\r\n" + host + "X-API-Key: " + KEY + "\r\n\r\n"));
            responses.add(gateway.exchange("GET /api/no HTTP/1.1\r\n" + host + "X-API-Key: " + wrongKey + "\r\n\r\n"));
            responses.add(gateway.exchange("GET /api/q?key=" + queryKey + " HTTP/1.1\r\n" + host + "\r\n"));
            responses.add(gateway.exchange("GET /api/two HTTP/1.1\r\n" + host + "X-API-Key: " + KEY + ", "
                    + wrongKey + "\r\n\r\n"));
            responses.add(gateway.exchange("GET /api/tab HTTP/1.1\r\n" + host + "X-API-Key: " + malformedKey
                    + "\r\n\r\n"));
            responses.add(gateway.exchange("GET /api/under HTTP/1.1\r\n" + host + "X_API_Key: " + KEY + "\r\n\r\n"));
            responses.add(gateway.exchange("GET /api/bad HTTP/1.1\r\n" + host + "X-API-Key: " + KEY
                    + "\r\nBad Header: x\r\n\r\n"));
            responses.add(gateway.exchange("GET /api/%2f?api_key=" + queryKey + " HTTP/1.1\r\n" + host
                    + "X-API-Key: " + KEY + "\r\n\r\n"));
            responses.add(gateway.exchange("GET /down/a HTTP/1.1\r\n" + host + "X-API-Key: " + KEY + "\r\n\r\n"));
            responses.add(gateway.exchange("GET /api/big HTTP/1.1\r\n" + host + "X-API-Key: " + KEY + "\r\nX-Big: "
                    + "b".repeat(40_000) + "\r\n\r\n"));
            for (Response response : responses) {
                String requestId = response.header("X-Request-Id");
                Await.until(Duration.ofSeconds(5), "the access line of " + requestId,
                        () -> captured.stream().anyMatch(line -> line.contains("request_id=" + requestId)));
            }
        } finally {
            root.setLevel(rootLevel);
            netty.setLevel(nettyLevel);
            root.detachAppender(everything);
            everything.stop();
        }
        assertThat(responses).extracting(Response::status)
                .containsExactly(200, 403, 401, 401, 400, 400, 400, 400, 502, 431);
        for (Response response : responses) {
            assertThat(response.bodyText()).doesNotContain(KEY).doesNotContain(wrongKey).doesNotContain(queryKey)
                    .doesNotContain("secret");
        }
        String keyHash = hex(sha256(KEY));
        assertThat(captured).isNotEmpty().allSatisfy(line -> assertThat(line)
                .doesNotContain(KEY).doesNotContain(wrongKey).doesNotContain(queryKey).doesNotContain("secret")
                .doesNotContain(keyHash));
    }

    /**
     * {@link ApiKeys} keeps only SHA-256 digests and looks a presented key up by its digest, so the time a lookup
     * takes depends on the digest, never on how much of a real key the caller guessed: shown by the object holding
     * no copy of the key and by near misses behaving exactly like a stranger.
     */
    @Test
    @DisplayName("A6: keys are kept and compared only as SHA-256 digests, so near misses behave like any wrong key")
    void keysAreKeptAndComparedOnlyAsDigests() throws Exception {
        ApiKeys keys = HttpFixtures.config().apiKeys();
        List<Object> reachable = new ArrayList<>();
        collect(keys, reachable, new IdentityHashMap<>());
        assertThat(reachable).noneMatch(value -> value instanceof String s && s.contains(HttpFixtures.KEY))
                .noneMatch(value -> value instanceof char[] c && new String(c).contains(HttpFixtures.KEY))
                .noneMatch(value -> value instanceof byte[] b
                        && Arrays.equals(b, HttpFixtures.KEY.getBytes(StandardCharsets.UTF_8)));
        byte[] digest = sha256(HttpFixtures.KEY);
        assertThat(reachable).anyMatch(value -> value instanceof byte[] b && Arrays.equals(b, digest));

        ApiClient client = keys.lookup(HttpFixtures.KEY);
        assertThat(client).isNotNull();
        String key = HttpFixtures.KEY;
        List<String> nearMisses = List.of(key.substring(0, key.length() - 1), key + "4",
                key.substring(0, key.length() - 1) + "4", key.toUpperCase(), "x" + key.substring(1), "");
        assertThat(nearMisses).allSatisfy(guess -> assertThat(keys.lookup(guess)).isNull());
    }

    /** A7 at the handler: rate limiting runs only for a client that authentication found. */
    @Test
    @DisplayName("A7: a flood of invalid keys creates no rate-limiter state")
    void aFloodOfInvalidKeysCreatesNoLimiterState() {
        LocalRateLimiter limiter = new LocalRateLimiter(System::nanoTime);
        AtomicInteger calls = new AtomicInteger();
        RateLimiter counting = new RateLimiter() {
            @Override
            public CompletionStage<RateLimitResult> acquire(String key, List<RateLimitPolicyConfig> policies) {
                calls.incrementAndGet();
                return limiter.acquire(key, policies);
            }
        };
        EmbeddedChannel channel = new EmbeddedChannel(
                new ExchangeStarter(HttpFixtures.config(HttpFixtures.YAML, counting)),
                new ExchangeHandler(HttpFixtures.PASS_ON));
        for (int i = 0; i < 5000; i++) {
            HttpRequest request = HttpFixtures.request(HttpMethod.GET, "/api/users/" + i, "X-API-Key",
                    "key_live_invalid_" + i);
            channel.writeInbound(request, LastHttpContent.EMPTY_LAST_CONTENT);
            FullHttpResponse response = HttpFixtures.readResponse(channel);
            assertThat(response.status()).isEqualTo(HttpResponseStatus.FORBIDDEN);
            response.release();
        }
        assertThat(calls).hasValue(0);
        assertThat(limiter.size(DEFAULT_POLICY)).isZero();

        channel.writeInbound(HttpFixtures.request(HttpMethod.GET, "/api/users/1", "X-API-Key", HttpFixtures.KEY),
                LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat((Object) channel.readInbound()).isInstanceOf(HttpRequest.class);
        assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(calls).hasValue(1);
        assertThat(limiter.size(DEFAULT_POLICY)).isEqualTo(1);
        assertThat(channel.finish()).isFalse();
    }

    /** A7 through the gateway: invalid keys cost a valid client nothing of its budget. */
    @Test
    @DisplayName("A7: a flood of invalid keys does not use up a valid client's limit")
    void aFloodOfInvalidKeysDoesNotUseUpAValidClientsLimit() throws Exception {
        try (CaseGateway limited = CaseGateway.start(backend -> GatewayYaml.loopback()
                .key(KEY, CLIENT, 2)
                .block("""
                        rate_limit:
                          window: 1h
                        """)
                .route("/api", backend)
                .openRoute("/open", backend))) {
            for (int i = 0; i < 200; i++) {
                assertThat(limited.exchange("GET /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + CLIENT + "-guess-" + i
                        + "\r\n\r\n").status()).isEqualTo(403);
            }
            String valid = "GET /api/a HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY + "\r\n\r\n";
            Response first = limited.exchange(valid);
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.header("X-RateLimit-Remaining")).isEqualTo("1");
            assertThat(first.headers("X-RateLimit-Limit")).containsExactly("2");
        }
    }

    private static TestBackend.Request assertAuthenticated(String raw) throws Exception {
        int mark = gateway.mark();
        Response response = gateway.exchange(raw);
        assertThat(response.status()).isEqualTo(200);
        TestBackend.Request forwarded = gateway.backend().requests().get(mark);
        assertThat(forwarded.headers("X-Client-Name")).containsExactly(CLIENT);
        assertThat(forwarded.headers("X-API-Key")).isEmpty();
        return forwarded;
    }

    /** Every String, char[] and byte[] reachable from {@code root} through Gatehouse objects, maps and collections. */
    private static void collect(Object value, List<Object> out, Map<Object, Boolean> seen) throws IllegalAccessException {
        if (value == null || seen.put(value, Boolean.TRUE) != null) {
            return;
        }
        if (value instanceof String || value instanceof char[] || value instanceof byte[]) {
            out.add(value);
        } else if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                collect(entry.getKey(), out, seen);
                collect(entry.getValue(), out, seen);
            }
        } else if (value instanceof Collection<?> collection) {
            for (Object element : collection) {
                collect(element, out, seen);
            }
        } else if (value.getClass().getName().startsWith("io.gatehouse.")) {
            for (Class<?> type = value.getClass(); type != null; type = type.getSuperclass()) {
                for (Field field : type.getDeclaredFields()) {
                    if (!Modifier.isStatic(field.getModifiers()) && !field.getType().isPrimitive()) {
                        field.setAccessible(true);
                        collect(field.get(value), out, seen);
                    }
                }
            }
        }
    }

    private static byte[] sha256(String text) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String hex(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (byte b : bytes) {
            out.append(String.format("%02x", b));
        }
        return out.toString();
    }
}
