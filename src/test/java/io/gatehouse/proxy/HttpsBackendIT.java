package io.gatehouse.proxy;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.RawHttpClient;
import io.gatehouse.testing.TestCertificates;
import io.gatehouse.testing.TlsBackend;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static io.gatehouse.testing.GatewayYaml.KEY;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code https://} targets end to end: a real gateway in front of a Netty HTTPS backend whose certificate a test CA
 * issued. The chain and the name are checked by default, SNI carries the name, connections are pooled, and a
 * backend that fails the check is never sent the request.
 */
class HttpsBackendIT {

    private static final TestCertificates CA = TestCertificates.authority();

    @TempDir
    Path dir;
    private TlsBackend backend;
    private GatewayFixture gateway;

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.close();
        }
        if (backend != null) {
            backend.close();
        }
    }

    private GatewayFixture start(String target, String... tlsLines) {
        StringBuilder upstream = new StringBuilder("upstreams:\n  secure:\n    targets: [" + target + "]\n");
        if (tlsLines.length > 0) {
            upstream.append("    tls:\n");
            for (String line : tlsLines) {
                upstream.append("      ").append(line).append('\n');
            }
        }
        gateway = GatewayFixture.withBackends().start(GatewayYaml.standard().block(upstream.toString())
                .route("/api", "secure"));
        return gateway;
    }

    private int get(String path) throws Exception {
        return gateway.exchange("GET " + path + " HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY + "\r\n\r\n")
                .status();
    }

    @Test
    void aBackendWithACertificateFromTheConfiguredCaIsReachedAndPooled() throws Exception {
        backend = TlsBackend.start(CA.leaf("backend"));
        start("https://localhost:" + backend.port(), "ca: " + CA.writeAuthority(dir));
        try (RawHttpClient client = gateway.client()) {
            for (int i = 0; i < 3; i++) {
                var response = client.send("GET /api/users/" + i + " HTTP/1.1\r\nHost: gw\r\nX-API-Key: " + KEY
                        + "\r\n\r\n").read();
                assertThat(response.status()).isEqualTo(200);
                assertThat(response.bodyText()).isEqualTo("secure /api/users/" + i);
            }
        }
        // No SNI for a name without a dot (RFC 6066 wants a fully qualified name); server_name below sends one.
        assertThat(backend.serverNames()).containsOnly("");
        assertThat(backend.handshakes()).as("one pooled connection for three requests").isEqualTo(1);
        assertThat(backend.requests().get(0).get("Host")).isEqualTo("localhost:" + backend.port());
        assertThat(backend.requests().get(0).get("X-Client-Name")).isEqualTo(GatewayYaml.CLIENT);
    }

    @Test
    void aCertificateNotFromATrustedCaIsRefusedAndNothingIsSent() throws Exception {
        backend = TlsBackend.start(CA.leaf("backend"));
        // No ca: the JDK's trust store, which has never heard of the test CA.
        start("https://localhost:" + backend.port());
        assertThat(get("/api/users/1")).isEqualTo(502);
        assertThat(backend.requests()).isEmpty();
    }

    @Test
    void theCertificateMustNameTheHostOrTheServerName() throws Exception {
        backend = TlsBackend.start(CA.leafFor("backend.internal"));
        String ca = "ca: " + CA.writeAuthority(dir);
        start("https://127.0.0.1:" + backend.port(), ca);
        assertThat(get("/api/a")).as("127.0.0.1 is not in the certificate").isEqualTo(502);
        assertThat(backend.requests()).isEmpty();
        gateway.close();

        start("https://127.0.0.1:" + backend.port(), ca, "server_name: backend.internal");
        assertThat(get("/api/b")).isEqualTo(200);
        assertThat(backend.serverNames()).as("the SNI of each handshake").endsWith("backend.internal");
        gateway.close();

        start("https://127.0.0.1:" + backend.port(), ca, "server_name: other.internal");
        assertThat(get("/api/c")).isEqualTo(502);
        assertThat(backend.requests()).hasSize(1);
    }

    @Test
    void verifyFalseAcceptsAnyCertificate() throws Exception {
        backend = TlsBackend.start(CA.leafFor("somewhere.else"));
        start("https://127.0.0.1:" + backend.port(), "verify: false");
        assertThat(get("/api/anything")).isEqualTo(200);
    }

    @Test
    void aHealthCheckOverHttpsJudgesTheCertificateLikeTheRequests() throws Exception {
        backend = TlsBackend.start(CA.leaf("backend"));
        gateway = GatewayFixture.withBackends().start(GatewayYaml.standard().block("""
                upstreams:
                  secure:
                    targets: [https://localhost:%d]
                    tls:
                      ca: %s
                    health_check:
                      path: /healthz
                      interval: 100ms
                """.formatted(backend.port(), CA.writeAuthority(dir))).route("/api", "secure"));
        io.gatehouse.testing.Await.until(java.time.Duration.ofSeconds(20), "a health check over https",
                () -> backend.requests().stream().anyMatch(h -> "gatehouse-health-check".equals(h.get("User-Agent"))));
        assertThat(get("/api/ok")).isEqualTo(200);
    }
}
