package io.gatehouse.config;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * {@code server.tls}: the listener speaks HTTPS with this certificate chain and key, both read and checked when the
 * config was loaded (a reload reads them again).
 *
 * @param cert             the PEM chain's file, leaf first
 * @param key              the PEM key's file
 * @param chain            the certificates read from {@code cert}
 * @param privateKey       the key read from {@code key}; it matches the leaf's public key
 * @param protocols        the TLS versions offered, of {@code TLSv1.3} and {@code TLSv1.2}
 * @param handshakeTimeout how long a client may take to complete the handshake
 */
public record TlsConfig(Path cert, Path key, List<X509Certificate> chain, PrivateKey privateKey,
                        List<String> protocols, Duration handshakeTimeout) {

    public static final List<String> DEFAULT_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    public static final List<String> ALLOWED_PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);

    public TlsConfig {
        Objects.requireNonNull(cert, "cert");
        Objects.requireNonNull(key, "key");
        chain = List.copyOf(chain);
        Objects.requireNonNull(privateKey, "privateKey");
        protocols = List.copyOf(protocols);
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        if (chain.isEmpty() || protocols.isEmpty()) {
            throw new IllegalArgumentException("a certificate and a protocol are needed");
        }
    }

    /** The leaf certificate: the one the clients check. */
    public X509Certificate leaf() {
        return chain.get(0);
    }

    /** Never the key. */
    @Override
    public String toString() {
        return "TlsConfig[cert=" + cert + ", key=" + key + ", subject=" + leaf().getSubjectX500Principal()
                + ", protocols=" + protocols + ", handshakeTimeout=" + handshakeTimeout + "]";
    }
}
