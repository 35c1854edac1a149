package io.gatehouse.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * The YAML of a test gateway, written once: the server on loopback and port 0, the standard test key, then whatever
 * a test adds — server settings, more keys, top-level blocks ({@code cors:}, {@code backend:}, {@code rate_limit:})
 * and routes. What comes out is plain YAML in the layout the docs use, so a failing test's config reads as usual:
 * <pre>{@code
 * GatewayYaml.standard()
 *         .server("header_timeout: 400ms")
 *         .route("/api", backend.url(), "strip_prefix: true")
 *         .openRoute("/open", backend.url())
 *         .build();
 * }</pre>
 */
public final class GatewayYaml {

    /** The standard test key, and the client name the backend sees for it. */
    public static final String KEY = "key_live_abc123";
    public static final String CLIENT = "mobile-app";
    /** The standard key's limit: high enough that no test that is not about rate limiting meets it. */
    public static final int UNLIMITED = 100000;

    private final List<String> server = new ArrayList<>();
    private final List<String> keys = new ArrayList<>();
    private String jwt;
    private final List<String> blocks = new ArrayList<>();
    private final List<String> routes = new ArrayList<>();

    private GatewayYaml() {
        server.add("host: 127.0.0.1");
        server.add("port: 0");
    }

    /** Loopback, port 0, and the standard key {@value #KEY} ({@value #CLIENT}) at {@value #UNLIMITED}. */
    public static GatewayYaml standard() {
        return loopback().key(KEY, CLIENT, UNLIMITED);
    }

    /** Loopback and port 0, no keys: for a gateway whose routes are all open, or whose keys a test chooses. */
    public static GatewayYaml loopback() {
        return new GatewayYaml();
    }

    /** Lines under {@code server:}, each one setting such as {@code "io_threads: 1"}. */
    public GatewayYaml server(String... lines) {
        server.addAll(List.of(lines));
        return this;
    }

    /** One more entry under {@code auth: keys:}. */
    public GatewayYaml key(String key, String name, int rateLimit) {
        keys.add("""
                - key: %s
                  name: %s
                  rate_limit: %d
                """.formatted(key, name, rateLimit));
        return this;
    }

    /** One more key with its own lines instead of a {@code rate_limit}, such as {@code "policies: [burst]"}. */
    public GatewayYaml key(String key, String name, String... lines) {
        StringBuilder entry = new StringBuilder("- key: ").append(key).append("\n  name: ").append(name).append('\n');
        for (String line : lines) {
            entry.append("  ").append(line).append('\n');
        }
        keys.add(entry.toString());
        return this;
    }

    /** The providers under {@code auth: jwt:}, as written (each {@code NAME:} at the left margin). */
    public GatewayYaml jwt(String providers) {
        jwt = providers;
        return this;
    }

    /** A top-level block as written, such as {@code "cors:\n  allow_origins: [...]"}. */
    public GatewayYaml block(String yaml) {
        blocks.add(yaml.endsWith("\n") ? yaml : yaml + "\n");
        return this;
    }

    /** A route that needs a key; {@code lines} are its further settings, such as {@code "timeout: 300ms"}. */
    public GatewayYaml route(String prefix, String upstream, String... lines) {
        StringBuilder route = new StringBuilder("- prefix: ").append(prefix).append('\n')
                .append("  upstream: ").append(upstream).append('\n');
        for (String line : lines) {
            route.append("  ").append(line).append('\n');
        }
        routes.add(route.toString());
        return this;
    }

    /** A route with {@code auth: none}. */
    public GatewayYaml openRoute(String prefix, String upstream, String... lines) {
        String[] withAuth = new String[lines.length + 1];
        withAuth[0] = "auth: none";
        System.arraycopy(lines, 0, withAuth, 1, lines.length);
        return route(prefix, upstream, withAuth);
    }

    public String build() {
        StringBuilder yaml = new StringBuilder("server:\n");
        server.forEach(line -> yaml.append("  ").append(line).append('\n'));
        if (!keys.isEmpty() || jwt != null) {
            yaml.append("auth:\n");
        }
        if (!keys.isEmpty()) {
            yaml.append("  keys:\n");
            keys.forEach(key -> yaml.append(key.indent(4)));
        }
        if (jwt != null) {
            yaml.append("  jwt:\n").append(jwt.indent(4));
        }
        blocks.forEach(yaml::append);
        if (!routes.isEmpty()) {
            yaml.append("routes:\n");
            routes.forEach(route -> yaml.append(route.indent(2)));
        }
        return yaml.toString();
    }

    @Override
    public String toString() {
        return build();
    }
}
