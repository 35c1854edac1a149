package io.gatehouse.testing;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * An identity provider's key-set endpoint for the JWT tests, on WireMock: serves a key set at {@value #PATH} that a
 * test can rotate, take down (connections reset), slow down, and count the fetches of.
 */
public final class JwksServer implements AutoCloseable {

    public static final String PATH = "/jwks.json";

    private final WireMockServer server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));

    public JwksServer(String jwks) {
        server.start();
        serve(jwks);
    }

    public String url() {
        return "http://127.0.0.1:" + server.port() + PATH;
    }

    /** From now on, answers with {@code jwks} (a rotation, when its keys differ). */
    public JwksServer serve(String jwks) {
        return serve(jwks, null, 0);
    }

    /** Answers with {@code jwks}, the given {@code Cache-Control} (or none), after {@code delayMillis}. */
    public JwksServer serve(String jwks, String cacheControl, int delayMillis) {
        var response = aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(jwks)
                .withFixedDelay(delayMillis);
        if (cacheControl != null) {
            response.withHeader("Cache-Control", cacheControl);
        }
        server.resetMappings();
        server.stubFor(get(urlEqualTo(PATH)).willReturn(response));
        return this;
    }

    /** The IdP is down: every connection is reset. */
    public JwksServer down() {
        server.resetMappings();
        server.stubFor(get(urlEqualTo(PATH)).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        return this;
    }

    /** How many times the key set was asked for. */
    public int fetches() {
        return server.countRequestsMatching(getRequestedFor(urlEqualTo(PATH)).build()).getCount();
    }

    @Override
    public void close() {
        server.stop();
    }
}
