package io.gatehouse.auth.jwt;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.gatehouse.testing.JwksServer;
import io.gatehouse.testing.Tokens;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.resolver.DefaultAddressResolverGroup;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The key-set HTTP client against a real server: the body and max-age, and each way a fetch fails. */
class JwksClientIT {

    private static EventLoopGroup group;
    private static JwksClient client;
    private static WireMockServer server;

    @BeforeAll
    static void start() {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        client = new JwksClient(group, NioSocketChannel.class, DefaultAddressResolverGroup.INSTANCE);
        server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        server.start();
    }

    @AfterAll
    static void stop() {
        server.stop();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static URI at(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static JwksClient.Response fetch(String path) throws Exception {
        return client.get(at(path)).get(20, TimeUnit.SECONDS);
    }

    @Test
    void fetchesTheBodyAndItsMaxAge() throws Exception {
        String jwks = Tokens.jwks(Tokens.rsa("k1"));
        server.stubFor(get(urlEqualTo("/ok")).willReturn(aResponse().withBody(jwks)
                .withHeader("Cache-Control", "public, max-age=300, must-revalidate")));
        JwksClient.Response response = fetch("/ok");
        assertThat(response.body()).isEqualTo(jwks);
        assertThat(response.maxAge()).isEqualTo(Duration.ofSeconds(300));
        try (JwksServer plain = new JwksServer(jwks)) {
            assertThat(client.get(URI.create(plain.url())).get(20, TimeUnit.SECONDS).maxAge()).isNull();
        }
    }

    @Test
    void aStatusOtherThan200ARedirectAnOversizedBodyAndARefusedConnectionFail() throws Exception {
        server.stubFor(get(urlEqualTo("/503")).willReturn(aResponse().withStatus(503)));
        server.stubFor(get(urlEqualTo("/moved")).willReturn(aResponse().withStatus(302)
                .withHeader("Location", "/ok")));
        server.stubFor(get(urlEqualTo("/big")).willReturn(aResponse()
                .withBody("x".repeat(JwksClient.MAX_BODY + 1))));
        assertFails("/503", "status 503");
        assertFails("/moved", "status 302");
        assertFails("/big", "larger than");
        assertThatThrownBy(() -> client.get(URI.create("http://127.0.0.1:1/jwks.json")).get(20, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasMessageContaining("cannot connect");
    }

    private static void assertFails(String path, String why) {
        assertThatThrownBy(() -> fetch(path)).isInstanceOf(ExecutionException.class).hasMessageContaining(why);
    }

    @Test
    void maxAgeIsReadFromTheDirectivesOnly() {
        assertThat(JwksClient.maxAge("max-age=60")).isEqualTo(Duration.ofSeconds(60));
        assertThat(JwksClient.maxAge("no-cache, s-maxage=5, max-age=\"120\"")).isEqualTo(Duration.ofSeconds(120));
        assertThat(JwksClient.maxAge("s-maxage=5")).isNull();
        assertThat(JwksClient.maxAge(null)).isNull();
    }
}
