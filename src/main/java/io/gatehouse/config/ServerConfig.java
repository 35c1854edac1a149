package io.gatehouse.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The listening socket and the client-side connection lifecycle: where to listen, how large a request head may be,
 * how long each phase of a request may take, and how many connections and requests a client may hold.
 *
 * @param host                     address to listen on
 * @param port                     0..65535; 0 picks any free port
 * @param ioThreads                event-loop threads; 0 means one per available core
 * @param idleTimeout              a keep-alive connection with no request in progress is closed after this
 * @param shutdownTimeout          on shutdown, how long in-flight requests may take to finish
 * @param maxRequestLine           bytes allowed in the request line (method, target, version); over it: 414
 * @param maxHeaderSize            bytes allowed in the whole header block (all header lines together, the request
 *                                 line not included); over it: 431
 * @param maxHeaders               header lines allowed in one request; over it: 431
 * @param maxChunkSize             the largest body piece the decoder hands on in one message; larger chunks and
 *                                 bodies are split, never refused, so this bounds memory per read, not body size
 * @param headerTimeout            the whole request head (request line and headers) must arrive within this,
 *                                 counted from its first byte; otherwise 408 and close (slowloris)
 * @param bodyTimeout              the longest pause between two pieces of a request body; otherwise 408 and close,
 *                                 and the backend request is aborted
 * @param writeTimeout             a client that accepts none of our bytes for this long, while we have a response
 *                                 to write, is closed
 * @param maxConnections           client connections open at once; the excess is closed at accept;
 *                                 {@value #UNLIMITED} means no limit
 * @param maxRequestsPerConnection requests served on one keep-alive connection; the last one is answered with
 *                                 {@code Connection: close}; {@value #UNLIMITED} means no limit
 * @param transport                the socket implementation; {@link TransportKind#AUTO} picks the best that loads
 * @param watchConfig              reload the config file when it changes on disk ({@code watch_config}); SIGHUP
 *                                 and the admin {@code POST /reload} work either way
 * @param tls                      {@code tls}: the listener speaks HTTPS with this certificate; null for cleartext
 * @param http2                    HTTP/2 from clients: h2 over TLS, h2c by prior knowledge, the stream limit
 */
public record ServerConfig(
        String host,
        int port,
        int ioThreads,
        Duration idleTimeout,
        Duration shutdownTimeout,
        int maxRequestLine,
        int maxHeaderSize,
        int maxHeaders,
        int maxChunkSize,
        Duration headerTimeout,
        Duration bodyTimeout,
        Duration writeTimeout,
        int maxConnections,
        int maxRequestsPerConnection,
        TransportKind transport,
        boolean watchConfig,
        TlsConfig tls,
        Http2Config http2) {

    public static final String DEFAULT_HOST = "0.0.0.0";
    /** Port 0 asks the operating system for any free port; tests use it. */
    public static final int DEFAULT_PORT = 3000;
    /** 0 means one event loop per available core. */
    public static final int DEFAULT_IO_THREADS = 0;
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(30);
    /** Long enough for an 8 KB URL, which is legitimate. */
    public static final int DEFAULT_MAX_REQUEST_LINE = 16 * 1024;
    /** Long enough for an 8 KB header value, which is legitimate. */
    public static final int DEFAULT_MAX_HEADER_SIZE = 32 * 1024;
    public static final int DEFAULT_MAX_HEADERS = 100;
    public static final int DEFAULT_MAX_CHUNK_SIZE = 16 * 1024;
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_BODY_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration DEFAULT_WRITE_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    public static final int DEFAULT_MAX_REQUESTS_PER_CONNECTION = 1000;
    /** For {@link #maxConnections} and {@link #maxRequestsPerConnection}: no limit. */
    public static final int UNLIMITED = 0;
    public static final boolean DEFAULT_WATCH_CONFIG = true;

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        Objects.requireNonNull(headerTimeout, "headerTimeout");
        Objects.requireNonNull(bodyTimeout, "bodyTimeout");
        Objects.requireNonNull(writeTimeout, "writeTimeout");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(http2, "http2");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (ioThreads < 0) {
            throw new IllegalArgumentException("negative ioThreads: " + ioThreads);
        }
        requirePositive(maxRequestLine, "maxRequestLine");
        requirePositive(maxHeaderSize, "maxHeaderSize");
        requirePositive(maxHeaders, "maxHeaders");
        requirePositive(maxChunkSize, "maxChunkSize");
        requirePositive(headerTimeout, "headerTimeout");
        requirePositive(bodyTimeout, "bodyTimeout");
        requirePositive(writeTimeout, "writeTimeout");
        if (maxConnections < 0) {
            throw new IllegalArgumentException("negative maxConnections: " + maxConnections);
        }
        if (maxRequestsPerConnection < 0) {
            throw new IllegalArgumentException("negative maxRequestsPerConnection: " + maxRequestsPerConnection);
        }
    }

    /** Every setting but HTTP/2's, at their defaults. */
    public ServerConfig(String host, int port, int ioThreads, Duration idleTimeout, Duration shutdownTimeout,
                        int maxRequestLine, int maxHeaderSize, int maxHeaders, int maxChunkSize,
                        Duration headerTimeout, Duration bodyTimeout, Duration writeTimeout, int maxConnections,
                        int maxRequestsPerConnection, TransportKind transport, boolean watchConfig, TlsConfig tls) {
        this(host, port, ioThreads, idleTimeout, shutdownTimeout, maxRequestLine, maxHeaderSize, maxHeaders,
                maxChunkSize, headerTimeout, bodyTimeout, writeTimeout, maxConnections, maxRequestsPerConnection,
                transport, watchConfig, tls, Http2Config.DEFAULT);
    }

    /** Every setting but {@code tls}: cleartext. */
    public ServerConfig(String host, int port, int ioThreads, Duration idleTimeout, Duration shutdownTimeout,
                        int maxRequestLine, int maxHeaderSize, int maxHeaders, int maxChunkSize,
                        Duration headerTimeout, Duration bodyTimeout, Duration writeTimeout, int maxConnections,
                        int maxRequestsPerConnection, TransportKind transport, boolean watchConfig) {
        this(host, port, ioThreads, idleTimeout, shutdownTimeout, maxRequestLine, maxHeaderSize, maxHeaders,
                maxChunkSize, headerTimeout, bodyTimeout, writeTimeout, maxConnections, maxRequestsPerConnection,
                transport, watchConfig, null);
    }

    /** Every setting but {@code watch_config}, which is on, and {@code tls}: cleartext. */
    public ServerConfig(String host, int port, int ioThreads, Duration idleTimeout, Duration shutdownTimeout,
                        int maxRequestLine, int maxHeaderSize, int maxHeaders, int maxChunkSize,
                        Duration headerTimeout, Duration bodyTimeout, Duration writeTimeout, int maxConnections,
                        int maxRequestsPerConnection, TransportKind transport) {
        this(host, port, ioThreads, idleTimeout, shutdownTimeout, maxRequestLine, maxHeaderSize, maxHeaders,
                maxChunkSize, headerTimeout, bodyTimeout, writeTimeout, maxConnections, maxRequestsPerConnection,
                transport, DEFAULT_WATCH_CONFIG);
    }

    /** The socket and lifecycle settings given; every limit and phase timeout at its default. */
    public ServerConfig(String host, int port, int ioThreads, Duration idleTimeout, Duration shutdownTimeout) {
        this(host, port, ioThreads, idleTimeout, shutdownTimeout, DEFAULT_MAX_REQUEST_LINE, DEFAULT_MAX_HEADER_SIZE,
                DEFAULT_MAX_HEADERS, DEFAULT_MAX_CHUNK_SIZE, DEFAULT_HEADER_TIMEOUT, DEFAULT_BODY_TIMEOUT,
                DEFAULT_WRITE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_REQUESTS_PER_CONNECTION, TransportKind.AUTO);
    }

    public static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_HOST, DEFAULT_PORT, DEFAULT_IO_THREADS, DEFAULT_IDLE_TIMEOUT,
                DEFAULT_SHUTDOWN_TIMEOUT);
    }

    /** Whether {@link #maxConnections} limits anything. */
    public boolean limitsConnections() {
        return maxConnections != UNLIMITED;
    }

    /** Whether {@link #maxRequestsPerConnection} limits anything. */
    public boolean limitsRequestsPerConnection() {
        return maxRequestsPerConnection != UNLIMITED;
    }

    // One copy-with method per limit, for tests that tighten one of them.

    public ServerConfig withPort(int newPort) {
        return new ServerConfig(host, newPort, ioThreads, idleTimeout, shutdownTimeout, maxRequestLine,
                maxHeaderSize, maxHeaders, maxChunkSize, headerTimeout, bodyTimeout, writeTimeout, maxConnections,
                maxRequestsPerConnection, transport, watchConfig, tls, http2);
    }

    public ServerConfig withIdleTimeout(Duration timeout) {
        return new ServerConfig(host, port, ioThreads, timeout, shutdownTimeout, maxRequestLine,
                maxHeaderSize, maxHeaders, maxChunkSize, headerTimeout, bodyTimeout, writeTimeout, maxConnections,
                maxRequestsPerConnection, transport, watchConfig, tls, http2);
    }

    public ServerConfig withShutdownTimeout(Duration timeout) {
        return new ServerConfig(host, port, ioThreads, idleTimeout, timeout, maxRequestLine,
                maxHeaderSize, maxHeaders, maxChunkSize, headerTimeout, bodyTimeout, writeTimeout, maxConnections,
                maxRequestsPerConnection, transport, watchConfig, tls, http2);
    }

    public ServerConfig withMaxRequestLine(int bytes) {
        return new ServerConfig(host, port, ioThreads, idleTimeout, shutdownTimeout, bytes,
                maxHeaderSize, maxHeaders, maxChunkSize, headerTimeout, bodyTimeout, writeTimeout, maxConnections,
                maxRequestsPerConnection, transport, watchConfig, tls, http2);
    }

    public ServerConfig withMaxHeaderSize(int bytes) {
        return new ServerConfig(host, port, ioThreads, idleTimeout, shutdownTimeout, maxRequestLine,
                bytes, maxHeaders, maxChunkSize, headerTimeout, bodyTimeout, writeTimeout, maxConnections,
                maxRequestsPerConnection, transport, watchConfig, tls, http2);
    }

    public ServerConfig withMaxHeaders(int count) {
        return new ServerConfig(host, port, ioThreads, idleTimeout, shutdownTimeout, maxRequestLine,
                maxHeaderSize, count, maxChunkSize, headerTimeout, bodyTimeout, writeTimeout, maxConnections,
                maxRequestsPerConnection, transport, watchConfig, tls, http2);
    }

    public ServerConfig withMaxChunkSize(int bytes) {
        return new ServerConfig(host, port, ioThreads, idleTimeout, shutdownTimeout, maxRequestLine,
                maxHeaderSize, maxHeaders, bytes, headerTimeout, bodyTimeout, writeTimeout, maxConnections,
                maxRequestsPerConnection, transport, watchConfig, tls, http2);
    }

    public ServerConfig withHeaderTimeout(Duration timeout) {
        return new ServerConfig(host, port, ioThreads, idleTimeout, shutdownTimeout, maxRequestLine,
                maxHeaderSize, maxHeaders, maxChunkSize, timeout, bodyTimeout, writeTimeout, maxConnections,
                maxRequestsPerConnection, transport, watchConfig, tls, http2);
    }

    public ServerConfig withBodyTimeout(Duration timeout) {
        return new ServerConfig(host, port, ioThreads, idleTimeout, shutdownTimeout, maxRequestLine,
                maxHeaderSize, maxHeaders, maxChunkSize, headerTimeout, timeout, writeTimeout, maxConnections,
                maxRequestsPerConnection, transport, watchConfig, tls, http2);
    }

    public ServerConfig withWriteTimeout(Duration timeout) {
        return new ServerConfig(host, port, ioThreads, idleTimeout, shutdownTimeout, maxRequestLine,
                maxHeaderSize, maxHeaders, maxChunkSize, headerTimeout, bodyTimeout, timeout, maxConnections,
                maxRequestsPerConnection, transport, watchConfig, tls, http2);
    }

    public ServerConfig withMaxConnections(int count) {
        return new ServerConfig(host, port, ioThreads, idleTimeout, shutdownTimeout, maxRequestLine,
                maxHeaderSize, maxHeaders, maxChunkSize, headerTimeout, bodyTimeout, writeTimeout, count,
                maxRequestsPerConnection, transport, watchConfig, tls, http2);
    }

    public ServerConfig withMaxRequestsPerConnection(int count) {
        return new ServerConfig(host, port, ioThreads, idleTimeout, shutdownTimeout, maxRequestLine,
                maxHeaderSize, maxHeaders, maxChunkSize, headerTimeout, bodyTimeout, writeTimeout, maxConnections,
                count, transport, watchConfig, tls, http2);
    }

    public ServerConfig withTransport(TransportKind kind) {
        return new ServerConfig(host, port, ioThreads, idleTimeout, shutdownTimeout, maxRequestLine,
                maxHeaderSize, maxHeaders, maxChunkSize, headerTimeout, bodyTimeout, writeTimeout, maxConnections,
                maxRequestsPerConnection, kind, watchConfig, tls, http2);
    }

    public ServerConfig withWatchConfig(boolean watch) {
        return new ServerConfig(host, port, ioThreads, idleTimeout, shutdownTimeout, maxRequestLine,
                maxHeaderSize, maxHeaders, maxChunkSize, headerTimeout, bodyTimeout, writeTimeout, maxConnections,
                maxRequestsPerConnection, transport, watch, tls, http2);
    }

    /** Whether a TLS client may choose h2 by ALPN. */
    public boolean h2OverTls() {
        return tls != null && http2.overTls();
    }

    /** Whether the listener speaks HTTPS. */
    public boolean secure() {
        return tls != null;
    }

    /** The same listening address: {@code host} and {@code port} as written (port 0 stays port 0). */
    public boolean sameListener(ServerConfig other) {
        return host.equals(other.host) && port == other.port;
    }

    private static void requirePositive(int value, String name) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
    }

    private static void requirePositive(Duration value, String name) {
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
    }
}
