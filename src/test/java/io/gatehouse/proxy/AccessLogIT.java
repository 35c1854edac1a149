package io.gatehouse.proxy;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** One access-log line per request, with what an operator needs and never an API key. */
class AccessLogIT {

    private static final String KEY = GatewayYaml.KEY;

    private static GatewayFixture gateway;

    @BeforeAll
    static void start() {
        gateway = GatewayFixture.withWireMock().captureAccessLog()
                .start(backend -> GatewayYaml.standard().route("/api/users", backend, "strip_prefix: true"));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void aForwardedRequestIsLoggedOnceWithItsDetails() throws Exception {
        Response response = gateway.exchange("GET /api/users/42?token=s3cr3t HTTP/1.1\r\nHost: gw\r\n"
                + "X-API-Key: " + KEY + "\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        String line = gateway.accessLine(response.header("X-Request-Id"));
        assertThat(line).startsWith("GET /api/users/42 ")
                .contains(" 200 ")
                .contains("[mobile-app]")
                .contains("request_id=" + response.header("X-Request-Id"))
                .contains("backend=127.0.0.1:" + gateway.wireMock().port())
                .doesNotContain("s3cr3t")
                .doesNotContain(KEY);
    }

    @Test
    void aRejectedRequestIsLoggedWithItsStatusAndNoBackend() throws Exception {
        Response response = gateway.exchange("POST /api/users/1 HTTP/1.1\r\nHost: gw\r\nContent-Length: 2\r\n\r\nhi");
        assertThat(response.status()).isEqualTo(401);
        String line = gateway.accessLine(response.header("X-Request-Id"));
        assertThat(line).startsWith("POST /api/users/1 ").contains(" 401 ").contains("[anonymous]")
                .contains("backend=-");
    }

    @Test
    void noKeyEverAppearsInTheLogValidOrNot() throws Exception {
        String wrongKey = "key_live_WRONG_but_secret";
        Response valid = gateway.exchange("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\nx-api-key: " + KEY + "\r\n\r\n");
        Response invalid = gateway.exchange("GET /api/users/1 HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + wrongKey
                + "\r\n\r\n");
        Response inQuery = gateway.exchange("GET /api/users/1?api_key=" + KEY + " HTTP/1.1\r\nHost: gw\r\n\r\n");
        assertThat(invalid.status()).isEqualTo(403);
        assertThat(gateway.accessLine(invalid.header("X-Request-Id"))).contains(" 403 ");
        gateway.accessLine(valid.header("X-Request-Id"));
        gateway.accessLine(inQuery.header("X-Request-Id"));
        assertThat(gateway.accessLines()).isNotEmpty().allSatisfy(line -> assertThat(line)
                .doesNotContain(KEY).doesNotContain(wrongKey));
    }
}
