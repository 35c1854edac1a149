package io.gatehouse.proxy;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
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
import static org.assertj.core.api.Assertions.assertThat;

class GatewaySmokeIT {

    private GatewayFixture gateway;

    @BeforeEach
    void start() {
        gateway = GatewayFixture.withWireMock().start(url -> GatewayYaml.loopback()
                .key(GatewayYaml.KEY, GatewayYaml.CLIENT, 100)
                .route("/api/users", url, "strip_prefix: true"));
        gateway.wireMock().stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"ok\":true}")));
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    @Test
    void forwardsAnAuthenticatedRequestAndStripsThePrefix() throws Exception {
        try (RawHttpClient client = gateway.client()) {
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
        gateway.wireMock().verify(anyRequestedFor(urlEqualTo("/42?x=1"))
                .withHeader("X-Client-Name", equalTo("mobile-app"))
                .withHeader("X-API-Key", absent()));
        gateway.wireMock().verify(anyRequestedFor(urlEqualTo("/")));
    }

    @Test
    void rejectsAMissingKeyWithoutForwarding() throws Exception {
        try (RawHttpClient client = gateway.client()) {
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
        assertThat(gateway.wireMock().getAllServeEvents()).isEmpty();
    }
}
