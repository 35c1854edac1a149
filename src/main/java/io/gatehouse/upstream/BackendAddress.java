package io.gatehouse.upstream;

import java.net.URI;

/** Where a backend listens: the pool key. Several route targets that differ only by base path share a pool. */
public record BackendAddress(String host, int port) {

    public static BackendAddress of(URI target) {
        int port = target.getPort() == -1 ? 80 : target.getPort();
        return new BackendAddress(target.getHost(), port);
    }

    /** The value of the Host header for this backend. */
    public String hostHeader() {
        String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
        return port == 80 ? h : h + ":" + port;
    }

    @Override
    public String toString() {
        return hostHeader();
    }
}
