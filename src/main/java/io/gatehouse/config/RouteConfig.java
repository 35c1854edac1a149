package io.gatehouse.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One entry of {@code routes}: a path prefix and the backend targets it forwards to. Each target is an
 * {@code http} URI with a host, an optional port and an optional base path that never ends in '/' (empty when
 * there is none), so that {@code basePath + requestPath} needs no further care.
 */
public record RouteConfig(
        String prefix,
        List<URI> upstream,
        boolean stripPrefix,
        boolean preserveHost,
        AuthMode auth,
        Duration timeout) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    public RouteConfig {
        Objects.requireNonNull(prefix, "prefix");
        upstream = List.copyOf(upstream);
        Objects.requireNonNull(auth, "auth");
        Objects.requireNonNull(timeout, "timeout");
        if (!prefix.startsWith("/")) {
            throw new IllegalArgumentException("prefix must start with '/': " + prefix);
        }
        if (upstream.isEmpty()) {
            throw new IllegalArgumentException("route " + prefix + " has no upstream");
        }
    }

    /** A route with every optional key at its default: no prefix stripping, API key required, 30 s timeout. */
    public static RouteConfig defaults(String prefix, URI upstream) {
        return new RouteConfig(prefix, List.of(upstream), false, false, AuthMode.API_KEY, DEFAULT_TIMEOUT);
    }
}
