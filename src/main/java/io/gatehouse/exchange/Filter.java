package io.gatehouse.exchange;

/**
 * One step of the request path. A filter looks at the {@link Exchange} (method, path, headers, client, route) and
 * returns a {@link Verdict}: let it continue, answer it with the gateway's own response, or suspend it until a
 * future completes (a remote rate limiter, a key-set refetch, a cache fill).
 * <p>
 * Filters are built once per config snapshot and shared by every request and event loop that uses the snapshot, so
 * they hold no per-request state: what a request needs later goes on its exchange. Nothing here knows how the
 * request is framed on the wire, so the same chain can serve an HTTP/1.1 connection or an HTTP/2 stream. A filter
 * runs on the connection's event loop and must not block.
 */
public interface Filter {

    /** The name shown when a route's chain is printed ({@code --check --verbose}). */
    String name();

    Verdict apply(Exchange exchange);
}
