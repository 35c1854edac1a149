package io.gatehouse.config;

/**
 * HTTP/2 from clients: {@code server.http2}, {@code server.h2c} and {@code server.http2_max_streams}.
 *
 * @param overTls    offer {@code h2} by ALPN on a TLS listener (default true when {@code tls} is set)
 * @param h2c        take cleartext HTTP/2 by prior knowledge on a cleartext listener (default false);
 *                   {@code Upgrade: h2c} is refused either way
 * @param maxStreams the streams one connection may have open at once ({@code SETTINGS_MAX_CONCURRENT_STREAMS})
 */
public record Http2Config(boolean overTls, boolean h2c, int maxStreams) {

    public static final int DEFAULT_MAX_STREAMS = 100;
    public static final int MAX_STREAMS = 1000;
    /** h2 over TLS, no h2c, 100 streams. */
    public static final Http2Config DEFAULT = new Http2Config(true, false, DEFAULT_MAX_STREAMS);

    public Http2Config {
        if (maxStreams < 1 || maxStreams > MAX_STREAMS) {
            throw new IllegalArgumentException("maxStreams must be 1.." + MAX_STREAMS + ": " + maxStreams);
        }
    }
}
