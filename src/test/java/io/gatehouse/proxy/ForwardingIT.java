package io.gatehouse.proxy;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend.Request;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** What the backend receives (hop-by-hop headers gone, forwarding headers set) and what the client gets back. */
class ForwardingIT {

    private static final String KEY = GatewayYaml.KEY;

    private static GatewayFixture gateway;

    @BeforeAll
    static void start() {
        gateway = GatewayFixture.withBackend((request, connection) -> {
            switch (request.target()) {
                case "/svc/cookies" -> connection.respond(201, "created",
                        "Set-Cookie: a=1; Path=/", "Set-Cookie: b=2; HttpOnly", "X-Backend: yes",
                        "Content-Type: text/plain; charset=utf-8", "Cache-Control: no-store",
                        "Connection: X-Backend-Hop", "X-Backend-Hop: secret", "Keep-Alive: timeout=5");
                default -> {
                    byte[] body = request.body();
                    connection.write("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                            + "Content-Length: " + body.length + "\r\n\r\n");
                    connection.write(body);
                }
            }
        }).start(url -> GatewayYaml.standard().route("/svc", url));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    @Test
    void hopByHopRequestHeadersNeverReachTheBackend() throws Exception {
        Response response = gateway.exchange("GET /svc/hop HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY + "\r\n"
                + "Connection: keep-alive, X-Hop-One\r\nX-Hop-One: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n"
                + "Trailer: X-T\r\nUpgrade: websocket\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\n"
                + "Proxy-Connection: keep-alive\r\nX-End-To-End: kept\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        Request received = gateway.lastRequest();
        for (String name : new String[]{"Connection", "X-Hop-One", "Keep-Alive", "TE", "Trailer", "Upgrade",
                "Proxy-Authorization", "Proxy-Connection", "Transfer-Encoding"}) {
            assertThat(received.headers(name)).as(name).isEmpty();
        }
        assertThat(received.header("X-End-To-End")).isEqualTo("kept");
        assertThat(received.version()).isEqualTo("HTTP/1.1");
    }

    @Test
    void aConnectionHeaderCannotStripTheGatewaysOwnHeaders() throws Exception {
        Response response = gateway.exchange("GET /svc/own HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY + "\r\n"
                + "Connection: X-Request-Id, X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host, X-Client-Name, "
                + "Host, Content-Length\r\n\r\n");
        assertThat(response.status()).isEqualTo(200);
        Request received = gateway.lastRequest();
        assertThat(received.headers("X-Request-Id")).containsExactly(response.header("X-Request-Id"));
        assertThat(received.headers("X-Forwarded-For")).containsExactly("127.0.0.1");
        assertThat(received.headers("X-Forwarded-Proto")).containsExactly("http");
        assertThat(received.headers("X-Forwarded-Host")).containsExactly("gw");
        assertThat(received.headers("X-Client-Name")).containsExactly("mobile-app");
        assertThat(received.headers("Host")).containsExactly("127.0.0.1:" + gateway.backend().port());
    }

    @Test
    void xForwardedForIsAppendedToTheClientsValue() throws Exception {
        gateway.exchange("GET /svc/xff HTTP/1.1\r\nHost: shop.example\r\nX-API-Key: " + KEY + "\r\n"
                + "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n\r\n");
        Request received = gateway.lastRequest();
        assertThat(received.headers("X-Forwarded-For")).containsExactly("203.0.113.7, 127.0.0.1");
        assertThat(received.headers("X-Forwarded-Proto")).containsExactly("http");
        assertThat(received.headers("X-Forwarded-Host")).containsExactly("shop.example");
        assertThat(received.headers("Host")).containsExactly("127.0.0.1:" + gateway.backend().port());
    }

    @Test
    void theBackendsStatusHeadersAndBodyPassThroughUnchanged() throws Exception {
        Response response = gateway.exchange("GET /svc/cookies HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY
                + "\r\n\r\n");
        assertThat(response.status()).isEqualTo(201);
        assertThat(response.headers("Set-Cookie")).containsExactly("a=1; Path=/", "b=2; HttpOnly");
        assertThat(response.header("X-Backend")).isEqualTo("yes");
        assertThat(response.header("Content-Type")).isEqualTo("text/plain; charset=utf-8");
        assertThat(response.header("Cache-Control")).isEqualTo("no-store");
        assertThat(response.header("Content-Length")).isEqualTo("7");
        assertThat(response.bodyText()).isEqualTo("created");
        // The backend's own hop-by-hop headers stop at the gateway too.
        assertThat(response.headers("X-Backend-Hop")).isEmpty();
        assertThat(response.headers("Keep-Alive")).isEmpty();
    }

    @Test
    void requestAndResponseBodiesPassThroughByteForByte() throws Exception {
        byte[] body = new byte[300_000];
        new Random(42).nextBytes(body);
        try (RawHttpClient client = gateway.client()) {
            client.send("POST /svc/echo HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY + "\r\nContent-Length: "
                    + body.length + "\r\n\r\n");
            client.send(body);
            Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).isEqualTo(body);

            // The same bytes as a chunked upload, on the same connection.
            ByteArrayOutputStream chunked = new ByteArrayOutputStream();
            chunked.writeBytes(("POST /svc/echo HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY
                    + "\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            for (int offset = 0; offset < body.length; offset += 70_000) {
                int n = Math.min(70_000, body.length - offset);
                chunked.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                chunked.write(body, offset, n);
                chunked.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            chunked.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            client.send(chunked.toByteArray());
            Response echoed = client.read();
            assertThat(echoed.status()).isEqualTo(200);
            assertThat(echoed.body()).isEqualTo(body);
            assertThat(gateway.lastRequest().header("Transfer-Encoding")).isEqualTo("chunked");
            assertThat(gateway.lastRequest().headers("Content-Length")).isEmpty();
        }
    }
}
