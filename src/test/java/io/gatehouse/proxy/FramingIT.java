package io.gatehouse.proxy;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Message framing across the gateway: bodiless responses (HEAD, 204, 304), chunked and close-delimited backend
 * responses, HTTP/1.0 clients, {@code Expect: 100-continue} and pipelining. After each response the client's
 * connection must still be in step, which the next request on it proves.
 */
class FramingIT {

    private static GatewayFixture gateway;

    @BeforeAll
    static void start() {
        gateway = GatewayFixture.withBackend((request, connection) -> {
            String path = request.target();
            switch (path) {
                case "/head" -> connection.write(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1234\r\n\r\n");
                case "/no-content" -> connection.respond(204, "", "X-Backend: 204");
                case "/not-modified" -> connection.write(
                        "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 1234\r\n\r\n");
                case "/chunked" -> connection.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n");
                case "/early-hints" -> connection.write("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal");
                case "/until-close" -> {
                    connection.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n");
                    connection.write("body delimited by the close");
                    connection.close();
                }
                default -> {
                    String body = request.method() + " " + path + " " + request.bodyText();
                    connection.respond(200, body.trim(), "Content-Type: text/plain");
                }
            }
        }).start(backend -> GatewayYaml.loopback().openRoute("/", backend));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static void assertConnectionStillInStep(RawHttpClient client) throws Exception {
        client.send("GET /next HTTP/1.1\r\nHost: gw\r\n\r\n");
        Response next = client.read();
        assertThat(next.status()).isEqualTo(200);
        assertThat(next.bodyText()).isEqualTo("GET /next");
    }

    @Test
    void aHeadResponseKeepsTheBackendsContentLengthAndCarriesNoBody() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.send("HEAD /head HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response head = client.read(true);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("Content-Length")).isEqualTo("1234");
            assertThat(head.headers("Transfer-Encoding")).isEmpty();
            assertConnectionStillInStep(client);
        }
    }

    @Test
    void a204ResponseHasNoBodyAndNoFraming() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.send("DELETE /no-content HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response response = client.read();
            assertThat(response.status()).isEqualTo(204);
            assertThat(response.header("X-Backend")).isEqualTo("204");
            assertThat(response.headers("Transfer-Encoding")).isEmpty();
            assertThat(response.headers("Content-Length")).isEmpty();
            assertConnectionStillInStep(client);
        }
    }

    @Test
    void a304ResponseHasNoBodyWhateverItsContentLength() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /not-modified HTTP/1.1\r\nHost: gw\r\nIf-None-Match: \"v1\"\r\n\r\n");
            Response response = client.read();
            assertThat(response.status()).isEqualTo(304);
            assertThat(response.header("ETag")).isEqualTo("\"v1\"");
            assertThat(response.headers("Transfer-Encoding")).isEmpty();
            assertConnectionStillInStep(client);
        }
    }

    @Test
    void aChunkedBackendResponseReachesTheClientChunked() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /chunked HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Transfer-Encoding")).isEqualTo("chunked");
            assertThat(response.bodyText()).isEqualTo("hello world");
            assertConnectionStillInStep(client);
        }
    }

    @Test
    void aCloseDelimitedBackendResponseIsReframedAsChunkedForAnHttp11Client() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /until-close HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Transfer-Encoding")).isEqualTo("chunked");
            assertThat(response.headers("Connection")).isEmpty();
            assertThat(response.bodyText()).isEqualTo("body delimited by the close");
            assertConnectionStillInStep(client);
        }
    }

    @Test
    void anHttp10ClientGetsACloseDelimitedBodyAndTheConnectionCloses() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /until-close HTTP/1.0\r\n\r\n");
            Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.headers("Transfer-Encoding")).isEmpty();
            assertThat(response.headers("Content-Length")).isEmpty();
            assertThat(response.bodyText()).isEqualTo("body delimited by the close");
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void anHttp10ClientGetsALengthDelimitedBodyAndTheConnectionCloses() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /plain HTTP/1.0\r\nHost: gw\r\n\r\n");
            Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Content-Length")).isEqualTo("10");
            assertThat(response.headers("Transfer-Encoding")).isEmpty();
            assertThat(response.bodyText()).isEqualTo("GET /plain");
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void anHttp10ClientAskingForKeepAliveKeepsItsConnection() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /plain HTTP/1.0\r\nHost: gw\r\nConnection: keep-alive\r\n\r\n");
            Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.header("Connection")).isEqualToIgnoringCase("keep-alive");
            assertThat(response.bodyText()).isEqualTo("GET /plain");
            client.send("GET /again HTTP/1.0\r\nHost: gw\r\n\r\n");
            assertThat(client.read().bodyText()).isEqualTo("GET /again");
            assertThat(client.closedByServer()).isTrue();
        }
    }

    @Test
    void anExpect100ContinueUploadWaitsForTheInterimResponseThenSendsItsBody() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.send("PUT /upload HTTP/1.1\r\nHost: gw\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n");
            Response interim = client.read();
            assertThat(interim.status()).isEqualTo(100);
            client.send("hello world");
            Response response = client.read();
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("PUT /upload hello world");
            assertConnectionStillInStep(client);
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.send(("POST /one HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /two HTTP/1.1\r\nHost: gw\r\n\r\n"
                    + "HEAD /head HTTP/1.1\r\nHost: gw\r\n\r\n"
                    + "GET /chunked HTTP/1.1\r\nHost: gw\r\n\r\n"
                    + "GET /four HTTP/1.1\r\nHost: gw\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(client.read().bodyText()).isEqualTo("POST /one abc");
            assertThat(client.read().bodyText()).isEqualTo("GET /two");
            Response head = client.read(true);
            assertThat(head.header("Content-Length")).isEqualTo("1234");
            assertThat(client.read().bodyText()).isEqualTo("hello world");
            assertThat(client.read().bodyText()).isEqualTo("GET /four");
        }
    }

    @Test
    void anInformationalResponseBeforeTheFinalOneLeavesTheFinalResponseIntact() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /early-hints HTTP/1.1\r\nHost: gw\r\n\r\n");
            Response response = client.read();
            if (response.status() == 103) {
                response = client.read();
            }
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.bodyText()).isEqualTo("final");
            assertConnectionStillInStep(client);
        }
    }

    @Test
    void pipelinedRequestsStayInOrderAcrossTheGatewaysOwnAnswers() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /one HTTP/1.1\r\nHost: gw\r\n\r\n"
                    + "OPTIONS /two HTTP/1.1\r\nHost: gw\r\nContent-Length: 4\r\n\r\nbody"
                    + "GET /health HTTP/1.1\r\nHost: gw\r\n\r\n"
                    + "POST /three HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n\r\nxyz");
            assertThat(client.read().bodyText()).isEqualTo("GET /one");
            assertThat(client.read().status()).isEqualTo(204);
            assertThat(client.read().bodyText()).startsWith("{\"status\":\"ok\"");
            assertThat(client.read().bodyText()).isEqualTo("POST /three xyz");
        }
    }

    @Test
    void aClientAskingToCloseGetsItsResponseThenTheClose() throws Exception {
        try (RawHttpClient client = gateway.client()) {
            client.send("GET /bye HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n");
            Response response = client.read();
            assertThat(response.bodyText()).isEqualTo("GET /bye");
            assertThat(response.header("Connection")).isEqualToIgnoringCase("close");
            assertThat(client.closedByServer()).isTrue();
        }
    }
}
