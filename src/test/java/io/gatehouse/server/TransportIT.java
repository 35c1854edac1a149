package io.gatehouse.server;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code server.transport}: the gateway runs on the socket implementation asked for and serves on each. io_uring,
 * opt-in, is not started here: Netty 4.2.18's io_uring transport leaked a buffer and once aborted the test JVM
 * (docs/performance.md), and the suite must not flake.
 */
class TransportIT {

    @Test
    void autoPicksEpollWhereItLoadsElseNio() throws IOException {
        assertServesOn(null, Epoll.isAvailable() ? "epoll" : "nio");
    }

    @Test
    void eachNamedTransportServesRequests() throws IOException {
        assertServesOn("nio", "nio");
        assertServesOn("epoll", Epoll.isAvailable() ? "epoll" : "nio");
    }

    private static void assertServesOn(String configured, String expected) throws IOException {
        try (GatewayFixture gateway = GatewayFixture.withBackend((request, connection) ->
                connection.respond(200, "ok")).start(url -> {
                    GatewayYaml yaml = GatewayYaml.standard().openRoute("/", url);
                    return configured == null ? yaml : yaml.server("transport: " + configured);
                })) {
            assertThat(gateway.gateway().server().transportName()).isEqualTo(expected);
            assertThat(gateway.get("/x").bodyText()).isEqualTo("ok");
        }
    }
}
