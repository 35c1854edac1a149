package io.gatehouse.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;

/** One entry of {@code routes}: a path prefix and the backend targets it forwards to. */
public record RouteConfig(
        String prefix,
        List<URI> upstream,
        boolean stripPrefix,
        boolean preserveHost,
        AuthMode auth,
        Duration timeout) {

    public RouteConfig {
        upstream = List.copyOf(upstream);
    }
}
