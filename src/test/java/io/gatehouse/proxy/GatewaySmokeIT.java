package io.gatehouse.proxy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.TestGateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

class GatewaySmokeIT {

    private WireMockServer backend;
    private TestGateway gateway;

    @BeforeEach
    void start() {
        backend = new WireMockServer(options().dynamicPort());
        backend.start();
        backend.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"ok\":true}")));
        gateway = TestGateway.start("""
                server:
                  port: 0
                auth:
                  keys:
                    - key: key_live_abc123
                      name: mobile-app
                      rate_limit: 100
                routes:
                  - prefix: /api/users
                    upstream: http://127.0.0.1:%d
                    strip_prefix: true
                """.formatted(backend.port()));
    }

    @AfterEach
    void stop() {
        gateway.close();
        backend.stop();
    }

    @Test
    void forwardsAnAuthenticatedRequestAndStripsThePrefix() throws Exception {
        try (RawHttpClient client = new RawHttpClient(gateway.port())) {
            client.send("GET /api/users/42?x=1 HTTP/1.1\r\nHost: gw\r\nX-API-Key: key_live_abc123\r\n\r\n");
            RawHttpClient.Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("{\"ok\":true}");
            assertThat(response.header("X-Request-Id")).isNotBlank();
            assertThat(response.header("X-RateLimit-Limit")).isEqualTo("100");
            assertThat(response.header("X-RateLimit-Remaining")).isEqualTo("99");
            assertThat(response.header("Access-Control-Allow-Origin")).isEqualTo("*");

            client.send("GET /api/users HTTP/1.1\r\nHost: gw\r\nX-API-Key: key_live_abc123\r\n\r\n");
            assertThat(client.read().status()).isEqualTo(200);
        }
        backend.verify(anyRequestedFor(urlEqualTo("/42?x=1"))
                .withHeader("X-Client-Name", equalTo("mobile-app"))
                .withHeader("X-API-Key", absent()));
        backend.verify(anyRequestedFor(urlEqualTo("/")));
    }

    @Test
    void rejectsAMissingKeyWithoutForwarding() throws Exception {
        try (RawHttpClient client = new RawHttpClient(gateway.port())) {
            client.send("POST /api/users/1 HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello");
            RawHttpClient.Response response = client.read();
            assertThat(response.status()).isEqualTo(401);
            assertThat(response.bodyText()).isEqualTo("{\"error\":\"Missing X-API-Key header\"}");
            assertThat(response.header("X-Request-Id")).isNotBlank();

            client.send("GET /nowhere HTTP/1.1\r\nHost: gw\r\n\r\n");
            RawHttpClient.Response notFound = client.read();
            assertThat(notFound.status()).isEqualTo(404);
            assertThat(notFound.bodyText()).isEqualTo("{\"error\":\"Route not found\"}");
        }
        assertThat(backend.getAllServeEvents()).isEmpty();
    }
}
