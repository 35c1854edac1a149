package io.gatehouse.proxy;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Many clients at once on several routes: nobody gets anybody else's response. */
class ConcurrencyIT {

    private static final int CLIENTS = 200;
    private static final String KEY = GatewayYaml.KEY;

    private record Outcome(String expected, Response response) {
    }

    @Test
    void twoHundredConcurrentClientsOnMixedRoutesEachGetTheirOwnResponse() throws Exception {
        TestBackend.Responder echo = (request, connection) -> {
            String body = request.bodyText();
            connection.respond(200, "port " + connection.index() + "|" + request.target() + "|" + body,
                    "X-Token: " + request.header("X-Token"));
        };
        TestBackend users = TestBackend.start(echo);
        TestBackend orders = TestBackend.start(echo);
        try (GatewayFixture gateway = GatewayFixture.withBackends(users, orders).start(GatewayYaml.loopback()
                .key(KEY, GatewayYaml.CLIENT, 1000000)
                .route("/api/users", users.url(), "strip_prefix: true")
                .route("/api/orders", orders.url(), "strip_prefix: true")
                .openRoute("/open", users.url()))) {
            ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Outcome>> futures = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                int n = i;
                futures.add(clients.submit(() -> {
                    String token = "token-" + n;
                    String request;
                    String expectedTarget;
                    switch (n % 3) {
                        case 0 -> {
                            request = "GET /api/users/" + token + "?n=" + n + " HTTP/1.1\r\n";
                            expectedTarget = "/" + token + "?n=" + n + "|";
                        }
                        case 1 -> {
                            request = "POST /api/orders/" + token + " HTTP/1.1\r\nContent-Length: "
                                    + token.length() + "\r\n";
                            expectedTarget = "/" + token + "|" + token;
                        }
                        default -> {
                            request = "GET /open/" + token + " HTTP/1.1\r\n";
                            expectedTarget = "/open/" + token + "|";
                        }
                    }
                    String raw = request + "Host: gw\r\nX-API-Key: " + KEY + "\r\nX-Token: " + token + "\r\n\r\n"
                            + (n % 3 == 1 ? token : "");
                    go.await();
                    try (RawHttpClient client = gateway.client()) {
                        client.send(raw);
                        return new Outcome(expectedTarget, client.read());
                    }
                }));
            }
            go.countDown();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                Outcome outcome = futures.get(i).get(60, TimeUnit.SECONDS);
                Response response = outcome.response();
                assertThat(response.status()).as("client %d", i).isEqualTo(200);
                assertThat(response.header("X-Token")).as("client %d", i).isEqualTo("token-" + i);
                assertThat(response.bodyText()).as("client %d", i).endsWith("|" + outcome.expected());
                ids.add(response.header("X-Request-Id"));
            }
            clients.shutdownNow();
            assertThat(ids).doesNotHaveDuplicates();
            assertThat(users.requests().size() + orders.requests().size()).isEqualTo(CLIENTS);
        }
    }
}
