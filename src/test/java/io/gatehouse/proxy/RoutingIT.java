package io.gatehouse.proxy;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.RawHttpClient.Response;
import io.gatehouse.testing.TestBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/** Route choice, path normalisation, prefix stripping, query and Host handling, end to end over real sockets. */
class RoutingIT {

    private static final String KEY = GatewayYaml.KEY;

    private static TestBackend users;
    private static TestBackend admin;
    private static TestBackend orders;
    private static TestBackend open;
    private static GatewayFixture gateway;

    @BeforeAll
    static void start() {
        users = TestBackend.start(TestBackend.ok("users"));
        admin = TestBackend.start(TestBackend.ok("admin"));
        orders = TestBackend.start(TestBackend.ok("orders"));
        open = TestBackend.start(TestBackend.ok("open"));
        gateway = GatewayFixture.withBackends(users, admin, orders, open).start(GatewayYaml.standard()
                .route("/api/users", users.url(), "strip_prefix: true")
                .route("/api/users/admin", admin.url())
                .route("/api/orders", orders.url(), "strip_prefix: true", "preserve_host: true")
                .openRoute("/api/public", open.url()));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    private static Response get(String target) throws IOException {
        return get(target, true);
    }

    private static Response get(String target, boolean withKey) throws IOException {
        try (RawHttpClient client = gateway.client()) {
            client.send("GET " + target + " HTTP/1.1\r\nHost: gw.example:8443\r\n"
                    + (withKey ? "X-API-Key: " + KEY + "\r\n" : "") + "\r\n");
            return client.read();
        }
    }

    private static String lastTarget(TestBackend backend) {
        var requests = backend.requests();
        return requests.get(requests.size() - 1).target();
    }

    @Test
    void theLongestMatchingPrefixWins() throws Exception {
        Response toAdmin = get("/api/users/admin/7");
        assertThat(toAdmin.status()).isEqualTo(200);
        assertThat(toAdmin.bodyText()).isEqualTo("admin");
        assertThat(lastTarget(admin)).isEqualTo("/api/users/admin/7");

        Response toUsers = get("/api/users/7");
        assertThat(toUsers.bodyText()).isEqualTo("users");
        assertThat(lastTarget(users)).isEqualTo("/7");
    }

    @Test
    void aPrefixMatchesOnlyWholePathSegments() throws Exception {
        int before = users.requests().size() + admin.requests().size();
        Response notFound = get("/api/usersX");
        assertThat(notFound.status()).isEqualTo(404);
        assertThat(notFound.header("Content-Type")).isEqualTo("application/json");
        assertThat(notFound.bodyText()).isEqualTo("{\"error\":\"Route not found\"}");
        assertThat(users.requests().size() + admin.requests().size()).isEqualTo(before);

        Response adminLike = get("/api/users/administrators");
        assertThat(adminLike.bodyText()).isEqualTo("users");
        assertThat(lastTarget(users)).isEqualTo("/administrators");
    }

    @Test
    void thePathIsNormalisedBeforeMatchingAndForwardedNormalised() throws Exception {
        assertThat(get("/api/users/../orders/1").bodyText()).isEqualTo("orders");
        assertThat(lastTarget(orders)).isEqualTo("/1");

        assertThat(get("/api/users/%2e%2e/orders/2").bodyText()).isEqualTo("orders");
        assertThat(lastTarget(orders)).isEqualTo("/2");

        assertThat(get("//api//users///3").bodyText()).isEqualTo("users");
        assertThat(lastTarget(users)).isEqualTo("/3");

        assertThat(get("/api/users/./%7Ealice").bodyText()).isEqualTo("users");
        assertThat(lastTarget(users)).isEqualTo("/~alice");
    }

    @Test
    void aNormalisedPathIsJudgedByTheRouteItReallyReaches() throws Exception {
        int before = users.requests().size();
        Response borrowed = get("/api/public/../users/1", false);
        assertThat(borrowed.status()).isEqualTo(401);
        assertThat(users.requests()).hasSize(before);

        Response openRoute = get("/api/users/../public/x", false);
        assertThat(openRoute.status()).isEqualTo(200);
        assertThat(openRoute.bodyText()).isEqualTo("open");
        assertThat(lastTarget(open)).isEqualTo("/api/public/x");
    }

    @Test
    void stripPrefixForwardsTheRestOfThePathWithItsQuery() throws Exception {
        get("/api/users/42?x=1");
        assertThat(lastTarget(users)).isEqualTo("/42?x=1");
        get("/api/users");
        assertThat(lastTarget(users)).isEqualTo("/");
        get("/api/users/");
        assertThat(lastTarget(users)).isEqualTo("/");
    }

    @Test
    void theQueryStringIsForwardedByteForByte() throws Exception {
        assertThat(get("/api/users/q?a=%2F&b=c+d&&e").status()).isEqualTo(200);
        assertThat(lastTarget(users)).isEqualTo("/q?a=%2F&b=c+d&&e");
        get("/api/users/q?");
        assertThat(lastTarget(users)).isEqualTo("/q?");
        get("/api/users/q?x=%e2%82%ac&y=/..//");
        assertThat(lastTarget(users)).isEqualTo("/q?x=%e2%82%ac&y=/..//");
    }

    @Test
    void hostBecomesTheBackendsUnlessTheRoutePreservesIt() throws Exception {
        get("/api/users/h");
        var toUsers = users.requests().get(users.requests().size() - 1);
        assertThat(toUsers.headers("Host")).containsExactly("127.0.0.1:" + users.port());
        assertThat(toUsers.header("X-Forwarded-Host")).isEqualTo("gw.example:8443");

        get("/api/orders/h");
        var toOrders = orders.requests().get(orders.requests().size() - 1);
        assertThat(toOrders.headers("Host")).containsExactly("gw.example:8443");
        assertThat(toOrders.header("X-Forwarded-Host")).isEqualTo("gw.example:8443");
    }
}
