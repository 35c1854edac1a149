package io.gatehouse.config;

import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * How the gateway checks the {@code https://} targets of an upstream ({@code upstreams.NAME.tls}).
 *
 * @param ca         the certificates a target's chain must lead to, read from {@code caFile}; empty for the JDK's
 *                   trust store
 * @param caFile     {@code ca}: the PEM file they came from, or null
 * @param serverName {@code server_name}: the name sent as SNI and that the certificate must carry; null for the
 *                   target URL's host
 * @param verify     {@code verify}: check the chain and the name (default); false accepts any certificate
 */
public record BackendTlsConfig(List<X509Certificate> ca, Path caFile, String serverName, boolean verify) {

    /** The JDK's trust store, the URL's host, verified. */
    public static final BackendTlsConfig DEFAULT = new BackendTlsConfig(List.of(), null, null, true);

    public BackendTlsConfig {
        ca = List.copyOf(ca);
        if (!ca.isEmpty()) {
            Objects.requireNonNull(caFile, "caFile");
        }
    }

    @Override
    public String toString() {
        return "BackendTlsConfig[ca=" + (caFile == null ? "system trust store" : caFile) + ", serverName="
                + serverName + ", verify=" + verify + "]";
    }
}
