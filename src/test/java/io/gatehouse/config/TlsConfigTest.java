package io.gatehouse.config;

import io.gatehouse.testing.TestCertificates;
import io.netty.pkitesting.X509Bundle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code server.tls}: its files read and checked at load, and every way they can be wrong. */
class TlsConfigTest {

    private static final TestCertificates CA = TestCertificates.authority();
    private static final String ROUTES = """
            routes:
              - prefix: /api
                upstream: http://localhost:4001
            """;

    @TempDir
    Path dir;

    private String yaml(String cert, String key, String... more) {
        StringBuilder yaml = new StringBuilder("server:\n  tls:\n    cert: " + cert + "\n    key: " + key + "\n");
        for (String line : more) {
            yaml.append("    ").append(line).append('\n');
        }
        return yaml.append(ROUTES).toString();
    }

    private static GatewayConfig parse(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml, "gateway.yaml", java.util.Map.of());
    }

    private static List<String> problems(String yaml) {
        return ConfigProblems.of(yaml);
    }

    private Path file(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    @Test
    void readsTheChainAndKeyWithTheDefaults() throws Exception {
        X509Bundle leaf = CA.leaf("gw");
        Path cert = TestCertificates.write(leaf, dir, "gw");
        TlsConfig tls = parse(yaml(cert.toString(), dir.resolve("gw.key").toString())).server().tls();
        assertThat(tls.chain()).hasSize(1);
        assertThat(tls.leaf()).isEqualTo(leaf.getCertificate());
        assertThat(tls.protocols()).containsExactly("TLSv1.3", "TLSv1.2");
        assertThat(tls.handshakeTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(tls.toString()).doesNotContain(leaf.getPrivateKeyPEM().lines().skip(1).findFirst().get());
        assertThat(parse(ROUTES).server().tls()).isNull();
    }

    @Test
    void takesAPkcs1RsaKey() throws Exception {
        X509Bundle leaf = new io.netty.pkitesting.CertificateBuilder().subject("CN=rsa").rsa2048()
                .setIsCertificateAuthority(true).buildSelfSigned();
        var pair = leaf.getKeyPair();
        Path cert = file("rsa.crt", leaf.getCertificatePEM());
        // PKCS#8 is PrivateKeyInfo{version, algorithm, OCTET STRING{PKCS#1}}: the PKCS#1 key is its last 1,190-odd
        // bytes, after a fixed 26-byte prefix for a 2048-bit key.
        byte[] pkcs8 = pair.getPrivate().getEncoded();
        byte[] pkcs1 = java.util.Arrays.copyOfRange(pkcs8, 26, pkcs8.length);
        assertThat(PemFiles.wrapPkcs1(pkcs1)).isEqualTo(pkcs8);
        Path key = file("rsa.key", "-----BEGIN RSA PRIVATE KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(pkcs1) + "\n-----END RSA PRIVATE KEY-----\n");
        assertThat(parse(yaml(cert.toString(), key.toString())).server().tls().privateKey())
                .isEqualTo(pair.getPrivate());
    }

    @Test
    void everyBadFileIsReportedWithItsPathAndReason() throws Exception {
        Path cert = TestCertificates.write(CA.leaf("gw"), dir, "gw");
        Path key = dir.resolve("gw.key");
        Path otherKey = dir.resolve("other.key");
        TestCertificates.write(CA.leaf("other"), dir, "other");
        Path missing = dir.resolve("missing.pem");
        Path text = file("notes.txt", "not a certificate\n");
        Path damaged = file("damaged.crt", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        Path encrypted = file("enc.key", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
                + "-----END ENCRYPTED PRIVATE KEY-----\n");

        assertThat(problems(yaml(missing.toString(), key.toString()))).containsExactly("gateway.yaml:3:11: cert "
                + missing + " cannot be read: no such file (at /server/tls/cert)");
        assertThat(problems(yaml(text.toString(), key.toString()))).containsExactly("gateway.yaml:3:11: cert "
                + text + " holds no PEM CERTIFICATE block (at /server/tls/cert)");
        assertThat(problems(yaml(damaged.toString(), key.toString()))).containsExactly("gateway.yaml:3:11: cert "
                + damaged + " holds a CERTIFICATE block that is not an X.509 certificate (at /server/tls/cert)");
        assertThat(problems(yaml(cert.toString(), cert.toString()))).containsExactly("gateway.yaml:4:10: key "
                + cert + " holds no PEM PRIVATE KEY or RSA PRIVATE KEY block (at /server/tls/key)");
        assertThat(problems(yaml(cert.toString(), encrypted.toString()))).singleElement().asString()
                .contains("holds an encrypted key");
        assertThat(problems(yaml(cert.toString(), otherKey.toString()))).containsExactly("gateway.yaml:4:10: key "
                + otherKey + " is not the private key of the first certificate in " + cert
                + " (at /server/tls/key)");
    }

    @Test
    void onlyTls12And13AndAHandshakeTimeoutInRange() throws Exception {
        Path cert = TestCertificates.write(CA.leaf("gw"), dir, "gw");
        String key = dir.resolve("gw.key").toString();
        assertThat(problems(yaml(cert.toString(), key, "protocols: [TLSv1.3, TLSv1.1]"))).containsExactly(
                "gateway.yaml:5:26: protocols entries must each be one of TLSv1.3, TLSv1.2, got 'TLSv1.1'"
                        + " (at /server/tls/protocols/1)");
        assertThat(problems(yaml(cert.toString(), key, "handshake_timeout: 2h"))).singleElement().asString()
                .startsWith("gateway.yaml:5:24: handshake_timeout");
        assertThat(problems(yaml(cert.toString(), key, "ciphers: [RC4]"))).singleElement().asString()
                .contains("unknown key 'ciphers'");
        assertThat(parse(yaml(cert.toString(), key, "protocols: [TLSv1.3]", "handshake_timeout: 3s")).server()
                .tls().protocols()).containsExactly("TLSv1.3");
    }

    @Test
    void anExpiredCertificateStillLoads() throws Exception {
        // Refusing it would take the gateway down at the worst moment; the server warns at every load instead.
        Path cert = TestCertificates.write(CA.leaf("old", Instant.now().minusSeconds(60)), dir, "old");
        assertThat(parse(yaml(cert.toString(), dir.resolve("old.key").toString())).server().tls()).isNotNull();
    }
}
