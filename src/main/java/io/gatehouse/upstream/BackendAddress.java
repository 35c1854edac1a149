package io.gatehouse.upstream;

import io.gatehouse.config.BackendTlsConfig;

import java.net.URI;

/**
 * Where a backend listens, and how it is spoken to: the pool key. Several route targets that differ only by base
 * path share a pool; an {@code https://} target is a different backend from an {@code http://} one on the same
 * port, and so is one checked with other TLS settings.
 *
 * @param tls how the connection's TLS is checked; null for cleartext
 */
public record BackendAddress(String host, int port, BackendTlsConfig tls) {

    /** A cleartext backend. */
    public BackendAddress(String host, int port) {
        this(host, port, null);
    }

    /** A cleartext target ({@code http://}) or a TLS one with the JDK's trust store. */
    public static BackendAddress of(URI target) {
        return of(target, BackendTlsConfig.DEFAULT);
    }

    /** {@code target}, whose {@code https://} form is checked with {@code tls}. */
    public static BackendAddress of(URI target, BackendTlsConfig tls) {
        boolean secure = "https".equals(target.getScheme());
        int port = target.getPort() == -1 ? (secure ? 443 : 80) : target.getPort();
        return new BackendAddress(target.getHost(), port, secure ? tls : null);
    }

    public boolean secure() {
        return tls != null;
    }

    /** The name the backend's certificate must carry, and the SNI sent: {@code server_name}, else the host. */
    public String serverName() {
        return tls != null && tls.serverName() != null ? tls.serverName() : host;
    }

    /** The value of the Host header for this backend. */
    public String hostHeader() {
        String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
        return port == (secure() ? 443 : 80) ? h : h + ":" + port;
    }

    @Override
    public String toString() {
        return secure() ? "https://" + hostHeader() : hostHeader();
    }
}
