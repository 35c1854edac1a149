package io.gatehouse.testing;

import io.netty.pkitesting.CertificateBuilder;
import io.netty.pkitesting.X509Bundle;

import javax.net.ssl.SSLContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Certificates made in the test: a CA, and leaves for {@code localhost} and {@code 127.0.0.1} it issued, written as
 * PEM files for {@code server.tls}, with a client {@link SSLContext} that trusts the CA.
 */
public final class TestCertificates {

    private final X509Bundle ca;

    private TestCertificates(X509Bundle ca) {
        this.ca = ca;
    }

    public static TestCertificates authority() {
        try {
            return new TestCertificates(new CertificateBuilder().subject("CN=Gatehouse Test CA").ecp256()
                    .setIsCertificateAuthority(true).buildSelfSigned());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A leaf for localhost and 127.0.0.1, valid from an hour ago to {@code notAfter}. */
    public X509Bundle leaf(String name, Instant notAfter) {
        try {
            return new CertificateBuilder().subject("CN=" + name).ecp256()
                    .notBefore(Instant.now().minus(1, ChronoUnit.HOURS)).notAfter(notAfter)
                    .addSanDnsName("localhost").addSanIpAddress("127.0.0.1")
                    .addExtendedKeyUsageServerAuth().buildIssuedBy(ca);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A leaf for the DNS name {@code dnsName} only, valid for a year. */
    public X509Bundle leafFor(String dnsName) {
        try {
            return new CertificateBuilder().subject("CN=" + dnsName).ecp256()
                    .notBefore(Instant.now().minus(1, ChronoUnit.HOURS)).notAfter(Instant.now().plus(365, ChronoUnit.DAYS))
                    .addSanDnsName(dnsName).addExtendedKeyUsageServerAuth().buildIssuedBy(ca);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes this CA's certificate to {@code dir/ca.pem}, for {@code upstreams.*.tls.ca}. */
    public Path writeAuthority(Path dir) {
        try {
            return Files.writeString(dir.resolve("ca.pem"), ca.getCertificatePEM());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A leaf valid for a year. */
    public X509Bundle leaf(String name) {
        return leaf(name, Instant.now().plus(365, ChronoUnit.DAYS));
    }

    /** Writes {@code leaf}'s chain to {@code dir/name.crt} and its key to {@code dir/name.key}; returns the first. */
    public static Path write(X509Bundle leaf, Path dir, String name) {
        try {
            Path cert = dir.resolve(name + ".crt");
            Files.writeString(cert, leaf.getCertificatePathPEM());
            Files.writeString(dir.resolve(name + ".key"), leaf.getPrivateKeyPEM());
            return cert;
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The {@code server:} lines for {@code name}'s files in {@code dir}, with {@code more} lines under tls. */
    public static String[] serverLines(Path dir, String name, String... more) {
        String[] lines = new String[3 + more.length];
        lines[0] = "tls:";
        lines[1] = "  cert: " + dir.resolve(name + ".crt");
        lines[2] = "  key: " + dir.resolve(name + ".key");
        for (int i = 0; i < more.length; i++) {
            lines[3 + i] = "  " + more[i];
        }
        return lines;
    }

    /** A client context that trusts this CA only. */
    public SSLContext clientContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, ca.toTrustManagerFactory().getTrustManagers(), null);
            return context;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
