package io.gatehouse.proxy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import io.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/** CORS headers on every kind of response, preflights answered by the gateway, and per-origin configs. */
class CorsIT {

    private static final String KEY = "key_live_abc123";
    private static final String LIMITED_KEY = "key_live_once";

    private static WireMockServer backend;
    private static TestGateway anyOrigin;
    private static TestGateway someOrigins;

    @BeforeAll
    static void start() {
        backend = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        backend.start();
        backend.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("ok")));
        backend.stubFor(get(urlEqualTo("/api/varies")).willReturn(aResponse().withStatus(200)
                .withHeader("Vary", "Accept-Encoding").withBody("varies")));
        String routes = """
                routes:
                  - prefix: /api
                    upstream: http://127.0.0.1:%d
                  - prefix: /down
                    upstream: http://127.0.0.1:%d
                    auth: none
                """.formatted(backend.port(), TestBackend.closedPort());
        String keys = """
                server:
                  host: 127.0.0.1
                  port: 0
                auth:
                  keys:
                    - key: %s
                      name: mobile-app
                      rate_limit: 100000
                    - key: %s
                      name: once
                      rate_limit: 1
                """.formatted(KEY, LIMITED_KEY);
        anyOrigin = TestGateway.start(keys + routes);
        someOrigins = TestGateway.start(keys + """
                cors:
                  allow_origins: ["https://app.example.com"]
                  allow_methods: [GET, POST]
                  allow_headers: [Content-Type, X-API-Key]
                """ + routes);
    }

    @AfterAll
    static void stop() {
        anyOrigin.close();
        someOrigins.close();
        backend.stop();
    }

    @BeforeEach
    void forgetRequests() {
        backend.resetRequests();
    }

    private static Response send(TestGateway gateway, String raw) throws Exception {
        try (RawHttpClient client = new RawHttpClient(gateway.port())) {
            client.send(raw);
            return client.read();
        }
    }

    private static void assertWildcardCors(Response response, int status) {
        assertThat(response.status()).isEqualTo(status);
        assertThat(response.header("Access-Control-Allow-Origin")).as("allow-origin on " + status).isEqualTo("*");
        assertThat(response.header("Access-Control-Expose-Headers")).as("expose on " + status)
                .contains("X-Request-Id");
    }

    @Test
    void corsHeadersAreOnProxiedResponsesAndOnTheGatewaysOwnErrors() throws Exception {
        String origin = "Origin: https://somewhere.example\r\n";
        assertWildcardCors(send(anyOrigin, "GET /api/x HTTP/1.1\r\nHost: gw\r\n" + origin + "X-API-Key: " + KEY
                + "\r\n\r\n"), 200);
        assertWildcardCors(send(anyOrigin, "GET /api/x HTTP/1.1\r\nHost: gw\r\n" + origin + "\r\n"), 401);
        assertWildcardCors(send(anyOrigin, "GET /api/x HTTP/1.1\r\nHost: gw\r\n" + origin
                + "X-API-Key: nope\r\n\r\n"), 403);
        assertWildcardCors(send(anyOrigin, "GET /elsewhere HTTP/1.1\r\nHost: gw\r\n" + origin + "\r\n"), 404);
        String limited = "GET /api/x HTTP/1.1\r\nHost: gw\r\n" + origin + "X-API-Key: " + LIMITED_KEY + "\r\n\r\n";
        send(anyOrigin, limited);
        assertWildcardCors(send(anyOrigin, limited), 429);
        assertWildcardCors(send(anyOrigin, "GET /down/x HTTP/1.1\r\nHost: gw\r\n" + origin + "\r\n"), 502);
    }

    @Test
    void aPreflightIsAnswered204WithoutAKeyAndNeverForwarded() throws Exception {
        try (RawHttpClient client = new RawHttpClient(anyOrigin.port())) {
            client.send("OPTIONS /api/x HTTP/1.1\r\nHost: gw\r\nOrigin: https://app.example.com\r\n"
                    + "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: x-api-key\r\n"
                    + "Content-Length: 5\r\n\r\nhello");
            Response preflight = client.read();
            assertThat(preflight.status()).isEqualTo(204);
            assertThat(preflight.header("Access-Control-Allow-Origin")).isEqualTo("*");
            assertThat(preflight.header("Access-Control-Allow-Methods")).isEqualTo("GET, POST, PUT, DELETE, OPTIONS");
            assertThat(preflight.header("Access-Control-Allow-Headers")).isEqualTo("Content-Type, X-API-Key");
            assertThat(preflight.header("Access-Control-Max-Age")).isEqualTo("600");
            assertThat(preflight.header("X-Request-Id")).isNotBlank();

            // Its body was skipped: the next request on the connection is read correctly.
            client.send("GET /api/x HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY + "\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        assertThat(backend.getAllServeEvents()).hasSize(1);
        assertThat(backend.getAllServeEvents().get(0).getRequest().getMethod().getName()).isEqualTo("GET");
    }

    @Test
    void anAllowedOriginIsEchoedWithVaryOrigin() throws Exception {
        Response response = send(someOrigins, "GET /api/x HTTP/1.1\r\nHost: gw\r\nOrigin: https://app.example.com\r\n"
                + "X-API-Key: " + KEY + "\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");
        assertThat(response.header("Access-Control-Allow-Methods")).isEqualTo("GET, POST");
        assertThat(response.headers("Vary")).singleElement().asString().isEqualToIgnoringCase("Origin");

        Response error = send(someOrigins, "GET /api/x HTTP/1.1\r\nHost: gw\r\nOrigin: https://app.example.com\r\n\r\n");
        assertThat(error.status()).isEqualTo(401);
        assertThat(error.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");

        Response varies = send(someOrigins, "GET /api/varies HTTP/1.1\r\nHost: gw\r\n"
                + "Origin: https://app.example.com\r\nX-API-Key: " + KEY + "\r\n\r\n");
        assertThat(varies.headers("Vary")).singleElement().asString().isEqualToIgnoringCase("Accept-Encoding, Origin");
    }

    @Test
    void anOriginThatIsNotAllowedGetsNoCorsHeaders() throws Exception {
        Response response = send(someOrigins, "GET /api/x HTTP/1.1\r\nHost: gw\r\nOrigin: https://evil.example\r\n"
                + "X-API-Key: " + KEY + "\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers("Access-Control-Allow-Origin")).isEmpty();
        assertThat(response.headers("Access-Control-Allow-Methods")).isEmpty();
        assertThat(response.headers("Vary")).singleElement().asString().isEqualToIgnoringCase("Origin");

        Response preflight = send(someOrigins, "OPTIONS /api/x HTTP/1.1\r\nHost: gw\r\n"
                + "Origin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\n\r\n");
        assertThat(preflight.status()).isEqualTo(204);
        assertThat(preflight.headers("Access-Control-Allow-Origin")).isEmpty();
        assertThat(backend.getAllServeEvents()).hasSize(1);
    }
}
