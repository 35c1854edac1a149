package io.gatehouse.proxy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/** One access-log line per request, with what an operator needs and never an API key. */
class AccessLogIT {

    private static final String KEY = "key_live_abc123";

    private static final List<String> LINES = new CopyOnWriteArrayList<>();
    private static final AppenderBase<ILoggingEvent> CAPTURE = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            LINES.add(event.getFormattedMessage());
        }
    };

    private static WireMockServer backend;
    private static TestGateway gateway;

    @BeforeAll
    static void start() {
        CAPTURE.setContext((ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory());
        CAPTURE.start();
        ((Logger) LoggerFactory.getLogger("access")).addAppender(CAPTURE);
        backend = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        backend.start();
        backend.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("ok")));
        gateway = TestGateway.start("""
                server:
                  host: 127.0.0.1
                  port: 0
                auth:
                  keys:
                    - key: %s
                      name: mobile-app
                      rate_limit: 100000
                routes:
                  - prefix: /api/users
                    upstream: http://127.0.0.1:%d
                    strip_prefix: true
                """.formatted(KEY, backend.port()));
    }

    @AfterAll
    static void stop() {
        gateway.close();
        backend.stop();
        ((Logger) LoggerFactory.getLogger("access")).detachAppender(CAPTURE);
        CAPTURE.stop();
    }

    private static Response send(String raw) throws Exception {
        try (RawHttpClient client = new RawHttpClient(gateway.port())) {
            client.send(raw);
            return client.read();
        }
    }

    /** The one line for this request ID, waiting for the asynchronous appender. */
    private static String lineFor(String requestId) {
        Await.until(Duration.ofSeconds(5), "the access line of " + requestId,
                () -> LINES.stream().anyMatch(line -> line.contains(requestId)));
        List<String> lines = LINES.stream().filter(line -> line.contains(requestId)).toList();
        assertThat(lines).as("lines for " + requestId).hasSize(1);
        return lines.get(0);
    }

    @Test
    void aForwardedRequestIsLoggedOnceWithItsDetails() throws Exception {
        Response response = send("GET /api/users/42?token=s3cr3t HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY
                + "\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        String line = lineFor(response.header("X-Request-Id"));
        assertThat(line).startsWith("GET /api/users/42 ")
                .contains(" 200 ")
                .contains("[mobile-app]")
                .contains("request_id=" + response.header("X-Request-Id"))
                .contains("backend=127.0.0.1:" + backend.port())
                .doesNotContain("s3cr3t")
                .doesNotContain(KEY);
    }

    @Test
    void aRejectedRequestIsLoggedWithItsStatusAndNoBackend() throws Exception {
        Response response = send("POST /api/users/1 HTTP/1.1\r\nHost: gw\r\nContent-Length: 2\r\n\r\nhi");
        assertThat(response.status()).isEqualTo(401);
        String line = lineFor(response.header("X-Request-Id"));
        assertThat(line).startsWith("POST /api/users/1 ").contains(" 401 ").contains("[anonymous]")
                .contains("backend=-");
    }

    @Test
    void noKeyEverAppearsInTheLogValidOrNot() throws Exception {
        String wrongKey = "key_live_WRONG_but_secret";
        Response valid = send("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\nx-api-key: " + KEY + "\r\n\r\n");
        Response invalid = send("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + wrongKey + "\r\n\r\n");
        Response inQuery = send("GET /api/users/1?api_key=" + KEY + " HTTP/1.1\r\nHost: gw\r\n\r\n");
        assertThat(invalid.status()).isEqualTo(403);
        assertThat(lineFor(invalid.header("X-Request-Id"))).contains(" 403 ");
        lineFor(valid.header("X-Request-Id"));
        lineFor(inQuery.header("X-Request-Id"));
        assertThat(LINES).isNotEmpty().allSatisfy(line -> assertThat(line)
                .doesNotContain(KEY).doesNotContain(wrongKey));
    }
}
