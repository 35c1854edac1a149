package io.gatehouse.proxy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/** CORS headers on every kind of response, preflights answered by the gateway, and per-origin configs. */
class CorsIT {

    private static final String KEY = GatewayYaml.KEY;
    private static final String LIMITED_KEY = "key_live_once";

    private static WireMockServer backend;
    private static GatewayFixture anyOrigin;
    private static GatewayFixture someOrigins;

    @BeforeAll
    static void start() {
        String down = TestBackend.closedUrl();
        anyOrigin = GatewayFixture.withWireMock().start(url -> yaml(url, down));
        backend = anyOrigin.wireMock();
        backend.stubFor(get(urlEqualTo("/api/varies")).willReturn(aResponse().withStatus(200)
                .withHeader("Vary", "Accept-Encoding").withBody("varies")));
        someOrigins = GatewayFixture.withBackends().start(yaml("http://127.0.0.1:" + backend.port(), down).block("""
                cors:
                  allow_origins: ["https://app.example.com"]
                  allow_methods: [GET, POST]
                  allow_headers: [Content-Type, X-API-Key]
                """));
    }

    private static GatewayYaml yaml(String backend, String down) {
        return GatewayYaml.standard()
                .key(LIMITED_KEY, "once", 1)
                .route("/api", backend)
                .openRoute("/down", down);
    }

    @AfterAll
    static void stop() {
        someOrigins.close();
        anyOrigin.close();
    }

    @BeforeEach
    void forgetRequests() {
        backend.resetRequests();
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
        assertWildcardCors(anyOrigin.exchange("GET /api/x HTTP/1.1\r\nHost: gw\r\n" + origin + "X-API-Key: " + KEY
                + "\r\n\r\n"), 200);
        assertWildcardCors(anyOrigin.exchange("GET /api/x HTTP/1.1\r\nHost: gw\r\n" + origin + "\r\n"), 401);
        assertWildcardCors(anyOrigin.exchange("GET /api/x HTTP/1.1\r\nHost: gw\r\n" + origin
                + "X-API-Key: nope\r\n\r\n"), 403);
        assertWildcardCors(anyOrigin.exchange("GET /elsewhere HTTP/1.1\r\nHost: gw\r\n" + origin + "\r\n"), 404);
        String limited = "GET /api/x HTTP/1.1\r\nHost: gw\r\n" + origin + "X-API-Key: " + LIMITED_KEY + "\r\n\r\n";
        anyOrigin.exchange(limited);
        assertWildcardCors(anyOrigin.exchange(limited), 429);
        assertWildcardCors(anyOrigin.exchange("GET /down/x HTTP/1.1\r\nHost: gw\r\n" + origin + "\r\n"), 502);
    }

    @Test
    void aPreflightIsAnswered204WithoutAKeyAndNeverForwarded() throws Exception {
        try (RawHttpClient client = anyOrigin.client()) {
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
        Response response = someOrigins.exchange("GET /api/x HTTP/1.1\r\nHost: gw\r\n"
                + "Origin: https://app.example.com\r\nX-API-Key: " + KEY + "\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");
        assertThat(response.header("Access-Control-Allow-Methods")).isEqualTo("GET, POST");
        assertThat(response.headers("Vary")).singleElement().asString().isEqualToIgnoringCase("Origin");

        Response error = someOrigins.exchange("GET /api/x HTTP/1.1\r\nHost: gw\r\n"
                + "Origin: https://app.example.com\r\n\r\n");
        assertThat(error.status()).isEqualTo(401);
        assertThat(error.header("Access-Control-Allow-Origin")).isEqualTo("https://app.example.com");

        Response varies = someOrigins.exchange("GET /api/varies HTTP/1.1\r\nHost: gw\r\n"
                + "Origin: https://app.example.com\r\nX-API-Key: " + KEY + "\r\n\r\n");
        assertThat(varies.headers("Vary")).singleElement().asString().isEqualToIgnoringCase("Accept-Encoding, Origin");
    }

    @Test
    void anOriginThatIsNotAllowedGetsNoCorsHeaders() throws Exception {
        Response response = someOrigins.exchange("GET /api/x HTTP/1.1\r\nHost: gw\r\nOrigin: https://evil.example\r\n"
                + "X-API-Key: " + KEY + "\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.headers("Access-Control-Allow-Origin")).isEmpty();
        assertThat(response.headers("Access-Control-Allow-Methods")).isEmpty();
        assertThat(response.headers("Vary")).singleElement().asString().isEqualToIgnoringCase("Origin");

        Response preflight = someOrigins.exchange("OPTIONS /api/x HTTP/1.1\r\nHost: gw\r\n"
                + "Origin: https://evil.example\r\nAccess-Control-Request-Method: POST\r\n\r\n");
        assertThat(preflight.status()).isEqualTo(204);
        assertThat(preflight.headers("Access-Control-Allow-Origin")).isEmpty();
        assertThat(backend.getAllServeEvents()).hasSize(1);
    }
}
