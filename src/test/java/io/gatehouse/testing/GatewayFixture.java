package io.gatehouse.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.gatehouse.testing.RawHttpClient.Response;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A gateway ({@link TestGateway}) in front of its backends, for the real-socket {@code *IT} tests: one
 * {@link TestBackend} started from a responder, several the test started itself, or a WireMock server. Closing the
 * fixture closes the gateway first and then the backends. Optionally captures the access log.
 * <pre>{@code
 * gateway = GatewayFixture.withBackend(TestBackend.ok("ok"))
 *         .start(url -> GatewayYaml.standard().route("/api", url));
 * Response response = gateway.exchange("GET /api/x HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY + "\r\n\r\n");
 * gateway.lastRequest().target();
 * }</pre>
 */
public final class GatewayFixture implements AutoCloseable {

    private final TestGateway gateway;
    private final List<TestBackend> backends;
    private final WireMockServer wireMock;
    private final AccessLog accessLog;

    private GatewayFixture(TestGateway gateway, Builder builder) {
        this.gateway = gateway;
        this.backends = builder.backends;
        this.wireMock = builder.wireMock;
        this.accessLog = builder.accessLog;
    }

    /** A {@link TestBackend} answering with {@code responder}, started now. */
    public static Builder withBackend(TestBackend.Responder responder) {
        return new Builder(List.of(TestBackend.start(responder)), null);
    }

    /** Backends the test started itself (none, for a gateway whose routes lead nowhere); closed with the fixture. */
    public static Builder withBackends(TestBackend... backends) {
        return new Builder(List.of(backends), null);
    }

    /**
     * A gateway on one event loop with one open route, {@code /}, to a backend answering with {@code responder}:
     * every client connection shares one backend pool, so what the pool reuses, or wrongly hands out, shows at the
     * backend.
     */
    public static GatewayFixture onePool(TestBackend.Responder responder) {
        return withBackend(responder).start(url -> GatewayYaml.loopback().server("io_threads: 1").openRoute("/", url));
    }

    /** A WireMock server on loopback, started now, answering every request 200 "ok" until a test stubs more. */
    public static Builder withWireMock() {
        WireMockServer server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        server.start();
        server.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("ok")));
        return new Builder(List.of(), server);
    }

    /** The backends, and what else goes with the gateway, before it starts. */
    public static final class Builder {

        private final List<TestBackend> backends;
        private final WireMockServer wireMock;
        private AccessLog accessLog;

        private Builder(List<TestBackend> backends, WireMockServer wireMock) {
            this.backends = backends;
            this.wireMock = wireMock;
        }

        /** Keeps every access-log line written while the fixture is open, for {@link #accessLine}. */
        public Builder captureAccessLog() {
            if (accessLog == null) {
                accessLog = new AccessLog();
            }
            return this;
        }

        /** Starts the gateway from the YAML for the first backend's URL ({@code http://127.0.0.1:port}). */
        public GatewayFixture start(Function<String, GatewayYaml> yaml) {
            return start(yaml.apply(url()).build());
        }

        public GatewayFixture start(GatewayYaml yaml) {
            return start(yaml.build());
        }

        /** Starts the gateway from raw YAML; if it does not start, the backends are closed and it throws. */
        public GatewayFixture start(String yaml) {
            try {
                return new GatewayFixture(TestGateway.start(yaml), this);
            } catch (RuntimeException | Error e) {
                closeBackends();
                throw e;
            }
        }

        private String url() {
            if (wireMock != null) {
                return "http://127.0.0.1:" + wireMock.port();
            }
            if (backends.isEmpty()) {
                throw new IllegalStateException("no backend to give the URL of");
            }
            return backends.get(0).url();
        }

        private void closeBackends() {
            backends.forEach(TestBackend::close);
            if (wireMock != null) {
                wireMock.stop();
            }
            if (accessLog != null) {
                accessLog.close();
            }
        }
    }

    public int port() {
        return gateway.port();
    }

    public URI uri(String pathAndQuery) {
        return gateway.uri(pathAndQuery);
    }

    public TestGateway gateway() {
        return gateway;
    }

    /** The first backend. */
    public TestBackend backend() {
        if (backends.isEmpty()) {
            throw new IllegalStateException("this fixture has no TestBackend");
        }
        return backends.get(0);
    }

    public List<TestBackend> backends() {
        return backends;
    }

    public WireMockServer wireMock() {
        if (wireMock == null) {
            throw new IllegalStateException("this fixture has no WireMock backend");
        }
        return wireMock;
    }

    /** Request heads the first backend received so far, in arrival order. */
    public List<TestBackend.Request> requests() {
        return backend().requests();
    }

    /** The last request head the first backend received. */
    public TestBackend.Request lastRequest() {
        List<TestBackend.Request> requests = requests();
        assertThat(requests).as("requests the backend received").isNotEmpty();
        return requests.get(requests.size() - 1);
    }

    /** A new client connection to the gateway. */
    public RawHttpClient client() throws IOException {
        return new RawHttpClient(port());
    }

    /** A new client connection whose receive buffer is {@code receiveBuffer} bytes, to read slowly. */
    public RawHttpClient client(int receiveBuffer) throws IOException {
        return new RawHttpClient(port(), receiveBuffer);
    }

    /** Sends {@code raw} on a fresh connection and reads one response. */
    public Response exchange(String raw) throws IOException {
        return exchange(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    public Response exchange(byte[] raw) throws IOException {
        try (RawHttpClient client = client()) {
            client.send(raw);
            return client.read();
        }
    }

    /** {@code GET target} with {@code Host: gw} and nothing else, on a fresh connection. */
    public Response get(String target) throws IOException {
        return exchange("GET " + target + " HTTP/1.1\r\nHost: gw\r\n\r\n");
    }

    /** Every access-log line so far; needs {@link Builder#captureAccessLog()}. */
    public List<String> accessLines() {
        return List.copyOf(accessLog().lines);
    }

    /** The one access-log line of this request, waiting for the asynchronous appender if need be. */
    public String accessLine(String requestId) {
        assertThat(requestId).as("X-Request-Id").isNotNull();
        List<String> lines = accessLog().lines;
        Await.until(Duration.ofSeconds(5), "the access line of " + requestId,
                () -> lines.stream().anyMatch(line -> line.contains("request_id=" + requestId)));
        List<String> found = lines.stream().filter(line -> line.contains("request_id=" + requestId)).toList();
        assertThat(found).as("access lines of " + requestId).hasSize(1);
        return found.get(0);
    }

    private AccessLog accessLog() {
        if (accessLog == null) {
            throw new IllegalStateException("start the fixture with captureAccessLog()");
        }
        return accessLog;
    }

    @Override
    public void close() {
        try {
            gateway.close();
        } finally {
            backends.forEach(TestBackend::close);
            if (wireMock != null) {
                wireMock.stop();
            }
            if (accessLog != null) {
                accessLog.close();
            }
        }
    }

    /** An appender on the {@code access} logger that keeps the formatted lines. */
    private static final class AccessLog extends AppenderBase<ILoggingEvent> implements AutoCloseable {

        private final List<String> lines = new CopyOnWriteArrayList<>();

        AccessLog() {
            setContext((LoggerContext) LoggerFactory.getILoggerFactory());
            start();
            logger().addAppender(this);
        }

        @Override
        protected void append(ILoggingEvent event) {
            lines.add(event.getFormattedMessage());
        }

        private static Logger logger() {
            return (Logger) LoggerFactory.getLogger("access");
        }

        @Override
        public void close() {
            logger().detachAppender(this);
            stop();
        }
    }
}
