package io.gatehouse.config;

/** The socket implementation: {@code server.transport}. */
public enum TransportKind {
    /** Native epoll where it loads, else NIO. */
    AUTO,
    /**
     * Linux io_uring, opt-in: fastest in the benchmark, but not yet trusted (see docs/performance.md); falls back
     * to epoll, then NIO, with a warning, where it cannot load.
     */
    IO_URING,
    /** Linux epoll; falls back to NIO, with a warning, where it cannot load. */
    EPOLL,
    /** Java NIO, everywhere. */
    NIO
}
