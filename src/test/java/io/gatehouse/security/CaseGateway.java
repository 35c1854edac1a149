package io.gatehouse.security;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import io.gatehouse.testing.TestGateway;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A gateway in front of a recording {@link TestBackend}, with the access log captured, and the checks that every
 * REJECT row of SECURITY-CASES.md shares: the status, a JSON error, {@code Connection: close}, the close after the
 * write, one access-log line with the reason, and nothing forwarded.
 * <p>
 * The backend answers 200 {@code "METHOD target body"} after reading the whole body, and remembers the targets
 * whose body it read completely; a target ending in {@code /answer-early} is answered 417 before its body is read.
 */
final class CaseGateway implements AutoCloseable {

    static final String KEY = "key_live_abc123";
    static final String CLIENT = "mobile-app";

    private final TestBackend backend;
    private final TestGateway gateway;
    private final Set<String> completed = ConcurrentHashMap.newKeySet();
    private final List<String> accessLines = new CopyOnWriteArrayList<>();
    private final AppenderBase<ILoggingEvent> capture = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            accessLines.add(event.getFormattedMessage());
        }
    };

    private CaseGateway(String yaml) {
        backend = TestBackend.start((request, connection) -> {
            if (request.target().endsWith("/answer-early")) {
                connection.respond(417, "early", "Connection: keep-alive");
                return;
            }
            String body = new String(request.body(), StandardCharsets.ISO_8859_1);
            completed.add(request.target());
            connection.respond(200, (request.method() + " " + request.target() + " " + body).trim(),
                    "Content-Type: text/plain");
        });
        capture.setContext((LoggerContext) LoggerFactory.getILoggerFactory());
        capture.start();
        access().addAppender(capture);
        gateway = TestGateway.start(yaml.replace("BACKEND", backend.url()));
    }

    /** Starts a gateway from {@code yaml}, in which {@code BACKEND} stands for the backend's URL. */
    static CaseGateway start(String yaml) {
        return new CaseGateway(yaml);
    }

    private static Logger access() {
        return (Logger) LoggerFactory.getLogger("access");
    }

    int port() {
        return gateway.port();
    }

    TestBackend backend() {
        return backend;
    }

    /** Targets whose whole body reached the backend. */
    Set<String> completed() {
        return Set.copyOf(completed);
    }

    /** A position in the backend's request log, for {@link #assertNothingForwardedSince}. */
    int mark() {
        return backend.requests().size();
    }

    /** Sends {@code raw} on a fresh connection and reads one response. */
    Response exchange(String raw) throws Exception {
        try (RawHttpClient client = new RawHttpClient(port())) {
            client.send(raw);
            return client.read();
        }
    }

    Response assertRejected(String raw, int... statuses) throws Exception {
        return assertRejected(raw.getBytes(StandardCharsets.ISO_8859_1), statuses);
    }

    /**
     * REJECT: one of {@code statuses} with a JSON error and {@code Connection: close}, the connection closed after
     * it (so never a second response), an access-log line with the status and the reason, nothing forwarded.
     */
    Response assertRejected(byte[] raw, int... statuses) throws Exception {
        int mark = mark();
        Response response;
        try (RawHttpClient client = new RawHttpClient(port()).timeout(5000)) {
            client.send(raw);
            response = client.read();
            assertRefusal(response, statuses);
            assertThat(response.header("Connection")).as("Connection header").isEqualToIgnoringCase("close");
            assertThat(client.closedByServer()).as("closed by the gateway after the response, nothing more")
                    .isTrue();
        }
        assertThat(accessLine(response.header("X-Request-Id")))
                .contains(" -> " + response.status() + " ")
                .contains("backend=-")
                .contains(" error=\"");
        assertNothingForwardedSince(mark);
        return response;
    }

    /** A refusal that may keep the connection: status, JSON error, one access-log line; nothing forwarded. */
    Response assertRefused(String raw, int status) throws Exception {
        int mark = mark();
        Response response = exchange(raw);
        assertRefusal(response, status);
        assertThat(accessLine(response.header("X-Request-Id"))).contains(" -> " + status + " ").contains("backend=-");
        assertNothingForwardedSince(mark);
        return response;
    }

    static void assertRefusal(Response response, int... statuses) {
        assertThat(response.status()).as("status").isIn(box(statuses));
        assertThat(response.header("Content-Type")).isEqualTo("application/json");
        assertThat(response.bodyText()).as("JSON error body").matches("\\{\"error\":\"[^\"]+\"}");
    }

    private static Integer[] box(int[] values) {
        Integer[] boxed = new Integer[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return boxed;
    }

    /**
     * Nothing reached the backend since {@code mark}: a request sent afterwards on a fresh connection (which the
     * gateway handles after everything before it) is the only one the backend saw.
     */
    void assertNothingForwardedSince(int mark) throws Exception {
        String sentinel = "/open/sentinel-" + UUID.randomUUID();
        Response response = exchange("GET " + sentinel + " HTTP/1.1\r\nHost: gw\r\n\r\n");
        assertThat(response.status()).as("the sentinel request").isEqualTo(200);
        List<TestBackend.Request> requests = backend.requests();
        assertThat(requests.subList(mark, requests.size())).as("requests the backend received")
                .extracting(TestBackend.Request::target).containsExactly(sentinel);
    }

    /** The one access-log line of this request, waiting for it if need be. */
    String accessLine(String requestId) {
        assertThat(requestId).as("X-Request-Id").isNotNull();
        Await.until(Duration.ofSeconds(5), "the access line of " + requestId,
                () -> accessLines.stream().anyMatch(line -> line.contains("request_id=" + requestId)));
        List<String> lines = accessLines.stream().filter(line -> line.contains("request_id=" + requestId)).toList();
        assertThat(lines).as("access lines of " + requestId).hasSize(1);
        return lines.get(0);
    }

    @Override
    public void close() {
        gateway.close();
        backend.close();
        access().detachAppender(capture);
        capture.stop();
    }
}
