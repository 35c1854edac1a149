package io.gatehouse.routing;

import io.gatehouse.config.RouteConfig;
import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * The runtime form of a {@link RouteConfig}: a canonical prefix, the backend targets, and the mapping from a
 * normalised client path to the path and query sent to the backend. Immutable.
 */
public final class Route {

    private final RouteConfig config;
    private final String prefix;
    private final boolean root;
    private final List<URI> targets;

    private Route(RouteConfig config, String prefix) {
        this.config = config;
        this.prefix = prefix;
        this.root = "/".equals(prefix);
        this.targets = config.upstream().urls();
    }

    /**
     * Compiles a route. The prefix must already be a normalised path (one trailing slash is tolerated and dropped),
     * otherwise it could never match a normalised request path.
     *
     * @throws IllegalArgumentException if the prefix is not a normalised path
     */
    public static Route of(RouteConfig config) {
        Objects.requireNonNull(config, "config");
        return new Route(config, canonicalPrefix(config.prefix()));
    }

    private static String canonicalPrefix(String raw) {
        if (raw == null) {
            throw new IllegalArgumentException("route prefix is missing");
        }
        RequestTarget parsed;
        try {
            parsed = RequestTarget.parse(raw);
        } catch (InvalidTargetException e) {
            throw new IllegalArgumentException("route prefix '" + raw + "' is not a valid path: " + e.getMessage());
        }
        String normalised = withoutTrailingSlash(parsed.path());
        if (parsed.rawQuery() != null || !withoutTrailingSlash(raw).equals(normalised)) {
            throw new IllegalArgumentException("route prefix '" + raw + "' is not a normalised path; write '"
                    + normalised + "'");
        }
        return normalised;
    }

    private static String withoutTrailingSlash(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    public RouteConfig config() {
        return config;
    }

    /** The canonical prefix: starts with '/', no trailing slash unless it is "/". */
    public String prefix() {
        return prefix;
    }

    /** The upstream's target URLs, in config order. */
    public List<URI> targets() {
        return targets;
    }

    /** Whether this route's prefix covers the normalised path on whole segments. */
    public boolean matches(String normalisedPath) {
        if (root) {
            return normalisedPath.startsWith("/");
        }
        int length = prefix.length();
        return normalisedPath.startsWith(prefix)
                && (normalisedPath.length() == length || normalisedPath.charAt(length) == '/');
    }

    /**
     * The path and query to send to the backend: the prefix stripped when configured ("/api/users/42" → "/42",
     * "/api/users" and "/api/users/" → "/"), the target's base path prepended ("http://h:1/v1" + "/42" → "/v1/42"),
     * then "?" + rawQuery byte for byte when rawQuery is not null (an empty query keeps its '?').
     *
     * @param normalisedPath a {@link RequestTarget#path()} that this route {@linkplain #matches matches}
     * @throws IllegalArgumentException if the path does not match this route
     */
    public String backendUri(String normalisedPath, String rawQuery, URI target) {
        if (!matches(normalisedPath)) {
            throw new IllegalArgumentException("path " + normalisedPath + " does not match route " + prefix);
        }
        String rest = normalisedPath;
        if (config.stripPrefix() && !root) {
            rest = normalisedPath.length() <= prefix.length() + 1 ? "/" : normalisedPath.substring(prefix.length());
        }
        String base = target.getRawPath();
        int baseLength = base == null ? 0 : base.length();
        if (baseLength > 0 && base.charAt(baseLength - 1) == '/') {
            baseLength--; // rest always starts with '/': "http://h/v1/" + "/42" is "/v1/42", not "/v1//42"
        }
        if (baseLength == 0 && rawQuery == null) {
            return rest;
        }
        StringBuilder uri = new StringBuilder(baseLength + rest.length() + (rawQuery == null ? 0 : rawQuery.length() + 1));
        uri.append(base, 0, baseLength).append(rest);
        if (rawQuery != null) {
            uri.append('?').append(rawQuery);
        }
        return uri.toString();
    }

    @Override
    public String toString() {
        return "Route[" + prefix + " -> " + targets() + "]";
    }
}
