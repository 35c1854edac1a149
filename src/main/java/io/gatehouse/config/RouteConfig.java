package io.gatehouse.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One entry of {@code routes}: a path prefix and the upstream it forwards to. Each target of the upstream is an
 * {@code http} URI with a host, an optional port and an optional base path that never ends in '/' (empty when
 * there is none), so that {@code basePath + requestPath} needs no further care.
 *
 * @param prefix       the path prefix, matched on segment boundaries
 * @param upstream     the named upstream, or the inline one around the URLs the route lists
 * @param stripPrefix  remove the prefix before forwarding
 * @param preserveHost forward the client's {@code Host} instead of the backend's
 * @param auth         whether the route requires an API key
 * @param timeout      time allowed for the backend's response head
 * @param maxBody      the largest request body accepted, in bytes; a larger {@code Content-Length} is answered 413
 *                     before anything is forwarded, and a chunked body that grows past it aborts the backend
 *                     request; {@value #NO_BODY_LIMIT} means no limit
 * @param access       the route's JWT providers and client-IP rules
 * @param websocket    whether WebSocket upgrades are allowed, and the tunnels' idle timeout
 */
public record RouteConfig(
        String prefix,
        UpstreamConfig upstream,
        boolean stripPrefix,
        boolean preserveHost,
        AuthMode auth,
        Duration timeout,
        long maxBody,
        RouteAccessConfig access,
        WebSocketConfig websocket) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    public static final long DEFAULT_MAX_BODY = 10 * Sizes.MIB;
    /** For {@link #maxBody}: no limit. */
    public static final long NO_BODY_LIMIT = 0;

    public RouteConfig {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(upstream, "upstream");
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(websocket, "websocket");
        if (!prefix.startsWith("/")) {
            throw new IllegalArgumentException("prefix must start with '/': " + prefix);
        }
        if (maxBody < 0) {
            throw new IllegalArgumentException("negative maxBody: " + maxBody);
        }
    }

    /** A route without WebSocket upgrades. */
    public RouteConfig(String prefix, UpstreamConfig upstream, boolean stripPrefix, boolean preserveHost,
            AuthMode auth, Duration timeout, long maxBody, RouteAccessConfig access) {
        this(prefix, upstream, stripPrefix, preserveHost, auth, timeout, maxBody, access, WebSocketConfig.OFF);
    }

    /** A route without JWT providers, IP rules or WebSocket upgrades. */
    public RouteConfig(String prefix, UpstreamConfig upstream, boolean stripPrefix, boolean preserveHost,
            AuthMode auth, Duration timeout, long maxBody) {
        this(prefix, upstream, stripPrefix, preserveHost, auth, timeout, maxBody, RouteAccessConfig.DEFAULT);
    }

    /** A route with inline targets: the upstream around them takes every default. */
    public RouteConfig(String prefix, List<URI> urls, boolean stripPrefix, boolean preserveHost, AuthMode auth,
            Duration timeout, long maxBody) {
        this(prefix, UpstreamConfig.inline(prefix, urls), stripPrefix, preserveHost, auth, timeout, maxBody);
    }

    /** A route with inline targets and the default body limit ({@value #DEFAULT_MAX_BODY} bytes). */
    public RouteConfig(String prefix, List<URI> urls, boolean stripPrefix, boolean preserveHost, AuthMode auth,
            Duration timeout) {
        this(prefix, urls, stripPrefix, preserveHost, auth, timeout, DEFAULT_MAX_BODY);
    }

    /** A route with every optional key at its default: no prefix stripping, API key required, 30 s, 10 MiB. */
    public static RouteConfig defaults(String prefix, URI upstream) {
        return new RouteConfig(prefix, List.of(upstream), false, false, AuthMode.API_KEY, DEFAULT_TIMEOUT);
    }

    /** Whether {@link #maxBody} limits anything. */
    public boolean limitsBody() {
        return maxBody != NO_BODY_LIMIT;
    }

    public RouteConfig withMaxBody(long bytes) {
        return new RouteConfig(prefix, upstream, stripPrefix, preserveHost, auth, timeout, bytes, access, websocket);
    }
}
