package io.gatehouse.config;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Turns the {@link YamlNode} tree into {@link GatewayConfig}: types, defaults, ranges, URL and path rules and
 * duplicates. It keeps going after a problem (using the default in place of a bad value) so that one run reports
 * everything; the records are only built when nothing was found.
 */
final class ConfigReader {

    private static final Duration MAX_IDLE_TIMEOUT = Duration.ofHours(24);
    private static final Duration MAX_SHUTDOWN_TIMEOUT = Duration.ofHours(1);
    private static final Duration MAX_WINDOW = Duration.ofHours(24);
    private static final Duration MAX_CORS_MAX_AGE = Duration.ofHours(24);
    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration MAX_POOL_IDLE_TIMEOUT = Duration.ofHours(24);
    private static final Duration MAX_ROUTE_TIMEOUT = Duration.ofHours(1);
    private static final Duration MAX_WEBSOCKET_IDLE = Duration.ofHours(24);
    private static final Duration ONE_MS = Duration.ofMillis(1);
    private static final Duration MAX_REDIS_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration MAX_PHASE_TIMEOUT = Duration.ofHours(1);
    private static final long MIN_HEAD_SIZE = Sizes.KIB;
    private static final long MAX_HEAD_SIZE = Sizes.MIB;
    private static final long MAX_CHUNK_SIZE = 16 * Sizes.MIB;
    private static final long MAX_HEADERS = 10_000;
    private static final long MAX_CONNECTIONS = 1_000_000;
    private static final long MAX_REQUESTS_PER_CONNECTION = 1_000_000_000;
    private static final long MAX_BODY = Sizes.TIB;
    /** The one value outside {@code /auth} that may hold a secret: a Redis URL with a password. */
    private static final String REDIS_URL_POINTER = "/rate_limit/redis/url";
    private static final long MAX_RATE_LIMIT = 1_000_000_000L;
    private static final String HEALTH_PATH = "/health";

    /** The keys of an {@code auth.keys} entry: the only mapping keys there that messages may name. */
    private static final List<String> API_KEY_FIELDS = List.of("key", "key_sha256", "name", "rate_limit", "policies");

    private final Problems problems;
    /** Every key of {@code upstreams}, valid or not: a route naming a broken one gets no second message. */
    private final Set<String> declaredUpstreams = new java.util.HashSet<>();
    /** Policy names written under keys and routes, checked once {@code rate_limit.policies} has been read. */
    private final List<YamlNode> policyReferences = new ArrayList<>();
    /** Names under {@code rate_limit.policies} whose definition had a problem: not reported again as unknown. */
    private final Set<String> brokenPolicies = new HashSet<>();
    /** JWT providers, trusted proxies and routes' IP rules. */
    private final AccessReader access = new AccessReader();
    /** Each route's own rate-limit policies, by prefix. */
    private final Map<String, RouteRateLimitConfig> routeLimits = new HashMap<>();
    private final CacheReader caches = new CacheReader();

    private ConfigReader(Problems problems) {
        this.problems = problems;
    }

    /** Reads the whole document; returns null when {@code problems} is not empty afterwards. */
    static GatewayConfig read(YamlNode root, Problems problems) {
        return new ConfigReader(problems).gateway(root);
    }

    /**
     * True for pointers whose values could be a secret: an API key (anything under {@code /auth} but the header
     * name) or a Redis password (the Redis URL).
     */
    static boolean mayHoldSecrets(String pointer) {
        return (pointer.equals("/auth") || pointer.startsWith("/auth/")) && !pointer.equals("/auth/header")
                && !pointer.equals("/auth/jwt") && !pointer.startsWith("/auth/jwt/")
                || pointer.equals(REDIS_URL_POINTER) || pointer.startsWith(REDIS_URL_POINTER + "/");
    }

    /**
     * The key as it may appear in a message, or null when it must not be shown: a mapping key under
     * {@code /auth} that is neither a known key nor a near miss of one could be a misplaced API key.
     */
    static String keyForMessage(String parentPointer, String key, Collection<String> known) {
        if (!mayHoldSecrets(parentPointer + "/" + YamlNode.escape(key))) {
            return key;
        }
        List<String> safe = new ArrayList<>(known);
        safe.addAll(API_KEY_FIELDS);
        safe.addAll(List.of("header", "keys"));
        for (String candidate : safe) {
            if (candidate.equals(key) || isNearMiss(candidate, key)) {
                return key;
            }
        }
        return null;
    }

    private GatewayConfig gateway(YamlNode root) {
        if (root.kind() != YamlNode.Kind.MAPPING) {
            problems.at(root, "the top level must be a mapping with the sections server, auth, rate_limit, cors,"
                    + " backend, upstreams, routes, admin, access_log, tracing and cache, got " + root.describe());
            return null;
        }
        Section top = new Section(root, "");
        ServerConfig server = server(top.section("server"));
        AuthConfig auth = auth(top.section("auth"));
        RateLimitConfig rateLimit = rateLimit(top.section("rate_limit"));
        CorsConfig cors = cors(top.section("cors"));
        BackendConfig backend = backend(top.section("backend"));
        Map<String, UpstreamConfig> upstreams = new UpstreamsReader().upstreams(top.section("upstreams"));
        caches.store(top.section("cache"));
        List<RouteConfig> routes = routes(top.required("routes"), upstreams);
        OperationsConfig operations = new OperationsReader().operations(top);
        IpRanges trustedProxies = access.ipRanges(top.optional("trusted_proxies"), "trusted_proxies");
        top.rejectUnknownKeys();
        checkPolicyReferences(rateLimit);
        if (!problems.isEmpty()) {
            return null;
        }
        return new GatewayConfig(server, auth, rateLimit.withRoutes(routeLimits), cors, backend, upstreams, routes,
                operations, caches.config(), trustedProxies);
    }

    private ServerConfig server(Section s) {
        YamlNode hostNode = s.optional("host");
        String host = string(hostNode, "host", ServerConfig.DEFAULT_HOST);
        if (hostNode != null && host.equals(hostNode.text()) && (host.isEmpty() || hasSpaceOrControl(host))) {
            problems.at(hostNode, "host must be an address or host name without spaces, like 0.0.0.0 or localhost");
        }
        int port = (int) integer(s.optional("port"), "port", 0, 65535, ServerConfig.DEFAULT_PORT);
        int ioThreads = (int) integer(s.optional("io_threads"), "io_threads", 0, 256, ServerConfig.DEFAULT_IO_THREADS);
        Duration idle = duration(s.optional("idle_timeout"), "idle_timeout", ONE_MS, MAX_IDLE_TIMEOUT,
                ServerConfig.DEFAULT_IDLE_TIMEOUT);
        Duration shutdown = duration(s.optional("shutdown_timeout"), "shutdown_timeout", Duration.ZERO,
                MAX_SHUTDOWN_TIMEOUT, ServerConfig.DEFAULT_SHUTDOWN_TIMEOUT);
        int maxRequestLine = (int) size(s.optional("max_request_line"), "max_request_line", MIN_HEAD_SIZE,
                MAX_HEAD_SIZE, ServerConfig.DEFAULT_MAX_REQUEST_LINE);
        int maxHeaderSize = (int) size(s.optional("max_header_size"), "max_header_size", MIN_HEAD_SIZE,
                MAX_HEAD_SIZE, ServerConfig.DEFAULT_MAX_HEADER_SIZE);
        int maxHeaders = (int) integer(s.optional("max_headers"), "max_headers", 1, MAX_HEADERS,
                ServerConfig.DEFAULT_MAX_HEADERS);
        int maxChunkSize = (int) size(s.optional("max_chunk_size"), "max_chunk_size", MIN_HEAD_SIZE,
                MAX_CHUNK_SIZE, ServerConfig.DEFAULT_MAX_CHUNK_SIZE);
        Duration headerTimeout = duration(s.optional("header_timeout"), "header_timeout", ONE_MS,
                MAX_PHASE_TIMEOUT, ServerConfig.DEFAULT_HEADER_TIMEOUT);
        Duration bodyTimeout = duration(s.optional("body_timeout"), "body_timeout", ONE_MS,
                MAX_PHASE_TIMEOUT, ServerConfig.DEFAULT_BODY_TIMEOUT);
        Duration writeTimeout = duration(s.optional("write_timeout"), "write_timeout", ONE_MS,
                MAX_PHASE_TIMEOUT, ServerConfig.DEFAULT_WRITE_TIMEOUT);
        int maxConnections = (int) integer(s.optional("max_connections"), "max_connections", 0, MAX_CONNECTIONS,
                ServerConfig.DEFAULT_MAX_CONNECTIONS);
        int maxRequests = (int) integer(s.optional("max_requests_per_connection"), "max_requests_per_connection",
                0, MAX_REQUESTS_PER_CONNECTION, ServerConfig.DEFAULT_MAX_REQUESTS_PER_CONNECTION);
        TransportKind transport = transport(s.optional("transport"));
        boolean watchConfig = bool(s.optional("watch_config"), "watch_config", ServerConfig.DEFAULT_WATCH_CONFIG);
        TlsConfig tls = tls(s.section("tls"));
        YamlNode http2Node = s.optional("http2");
        boolean http2 = bool(http2Node, "http2", true);
        if (http2Node != null && http2 && s.optional("tls") == null) {
            problems.at(http2Node, "http2 (h2 by ALPN) needs tls; for cleartext HTTP/2 set h2c: true");
        }
        boolean h2c = bool(s.optional("h2c"), "h2c", false);
        YamlNode h2cNode = s.optional("h2c");
        if (h2cNode != null && h2c && s.optional("tls") != null) {
            problems.at(h2cNode, "h2c is cleartext HTTP/2; a listener with tls offers h2 by ALPN instead");
        }
        int maxStreams = (int) integer(s.optional("http2_max_streams"), "http2_max_streams", 1,
                Http2Config.MAX_STREAMS, Http2Config.DEFAULT_MAX_STREAMS);
        s.rejectUnknownKeys();
        return new ServerConfig(host, port, ioThreads, idle, shutdown, maxRequestLine, maxHeaderSize, maxHeaders,
                maxChunkSize, headerTimeout, bodyTimeout, writeTimeout, maxConnections, maxRequests, transport,
                watchConfig, tls, new Http2Config(http2, h2c, maxStreams));
    }

    /**
     * {@code server.tls}, with its files read and checked now: a chain that parses, a key that parses and is the
     * leaf's, TLS 1.2 or 1.3 only. Null when absent, or with the problems reported.
     */
    private TlsConfig tls(Section s) {
        if (!s.present()) {
            return null;
        }
        YamlNode certNode = s.required("cert");
        YamlNode keyNode = s.required("key");
        List<String> protocols = strings(s.optional("protocols"), "protocols", TlsConfig.DEFAULT_PROTOCOLS,
                (node, value) -> {
                    if (!TlsConfig.ALLOWED_PROTOCOLS.contains(value)) {
                        problems.at(node, "protocols entries must each be one of " + join(TlsConfig.ALLOWED_PROTOCOLS)
                                + ", got '" + printable(value) + "'");
                    }
                });
        YamlNode protocolsNode = s.optional("protocols");
        if (protocolsNode != null && protocols.isEmpty()) {
            problems.at(protocolsNode, "protocols must name at least one of " + join(TlsConfig.ALLOWED_PROTOCOLS));
        }
        Duration handshake = duration(s.optional("handshake_timeout"), "handshake_timeout", ONE_MS,
                Duration.ofMinutes(1), TlsConfig.DEFAULT_HANDSHAKE_TIMEOUT);
        s.rejectUnknownKeys();
        java.nio.file.Path certPath = tlsPath(certNode, "cert");
        java.nio.file.Path keyPath = tlsPath(keyNode, "key");
        List<java.security.cert.X509Certificate> chain = pem(certNode, "cert", certPath, PemFiles::certificates);
        java.security.PrivateKey key = pem(keyNode, "key", keyPath, PemFiles::privateKey);
        if (chain == null || key == null || protocols.isEmpty()
                || !TlsConfig.ALLOWED_PROTOCOLS.containsAll(protocols)) {
            return null;
        }
        if (!PemFiles.matches(key, chain.get(0).getPublicKey())) {
            problems.at(keyNode, "key " + keyPath + " is not the private key of the first certificate in " + certPath);
            return null;
        }
        return new TlsConfig(certPath, keyPath, chain, key, protocols, handshake);
    }

    private java.nio.file.Path tlsPath(YamlNode node, String label) {
        String text = node == null ? null : string(node, label, null);
        if (text == null) {
            return null;
        }
        try {
            return java.nio.file.Path.of(text);
        } catch (java.nio.file.InvalidPathException e) {
            problems.at(node, label + " is not a valid file name");
            return null;
        }
    }

    /** The PEM file {@code file} read and parsed by {@code parse}; null (with the problem reported) when it fails. */
    private <T> T pem(YamlNode node, String label, java.nio.file.Path file,
                      java.util.function.Function<String, T> parse) {
        String text = file == null ? null : tlsFile(node, label, file);
        if (text == null) {
            return null;
        }
        try {
            return parse.apply(text);
        } catch (IllegalArgumentException e) {
            problems.at(node, label + " " + file + " " + e.getMessage());
            return null;
        }
    }

    private String tlsFile(YamlNode node, String label, java.nio.file.Path file) {
        try {
            return java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.US_ASCII);
        } catch (java.nio.file.NoSuchFileException e) {
            problems.at(node, label + " " + file + " cannot be read: no such file");
        } catch (java.nio.charset.MalformedInputException e) {
            problems.at(node, label + " " + file + " is not a PEM file (it holds bytes that are not ASCII)");
        } catch (java.io.IOException | RuntimeException e) {
            problems.at(node, label + " " + file + " cannot be read: " + e.getClass().getSimpleName());
        }
        return null;
    }

    private AuthConfig auth(Section s) {
        YamlNode headerNode = s.optional("header");
        String header = string(headerNode, "header", AuthConfig.DEFAULT_HEADER);
        if (headerNode != null && header.equals(headerNode.text()) && !isToken(header)) {
            problems.at(headerNode, "header must be a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~),"
                    + " got '" + header + "'");
        }
        List<ApiKeyConfig> keys = new ArrayList<>();
        YamlNode keysNode = s.optional("keys");
        if (keysNode != null && keysNode.kind() != YamlNode.Kind.LIST) {
            typeError(keysNode, "keys", "a list of entries with key, name and rate_limit");
        } else if (keysNode != null) {
            // By SHA-256 in hex, so that a key and another entry's key_sha256 of it are found to be the same.
            Map<String, YamlNode> seenKeys = new HashMap<>();
            Map<String, YamlNode> seenNames = new HashMap<>();
            for (YamlNode item : keysNode.items()) {
                ApiKeyConfig key = apiKey(item, seenKeys, seenNames);
                if (key != null) {
                    keys.add(key);
                }
            }
        }
        Map<String, JwtProviderConfig> jwt = access.providers(s.optional("jwt"));
        s.rejectUnknownKeys();
        return new AuthConfig(header, keys, jwt);
    }

    private ApiKeyConfig apiKey(YamlNode item, Map<String, YamlNode> seenKeys, Map<String, YamlNode> seenNames) {
        if (item.kind() != YamlNode.Kind.MAPPING) {
            typeError(item, "each entry of keys", "a mapping with key, name and rate_limit");
            return null;
        }
        Section s = new Section(item, item.pointer());
        boolean keyWritten = item.entries().containsKey("key");
        boolean hashWritten = item.entries().containsKey("key_sha256");
        YamlNode keyNode = s.optional("key");
        YamlNode hashNode = s.optional("key_sha256");
        String key = null;
        String hash = null;
        if (keyWritten && hashWritten) {
            YamlNode second = item.entries().get("key_sha256");
            problems.atKey(second, second.pointer(), "give either key or key_sha256, not both");
        } else if (!keyWritten && !hashWritten) {
            problems.add(item.line(), item.column(), item.pointer(), "missing required key 'key' or 'key_sha256'");
        } else if (keyWritten) {
            key = apiKeyText(keyNode, item.entries().get("key"));
        } else {
            hash = apiKeyHash(hashNode, item.entries().get("key_sha256"));
        }
        if (key != null || hash != null) {
            String digest = hash != null ? hash : HexFormat.of().formatHex(ApiKeyConfig.sha256(key));
            YamlNode at = key != null ? keyNode : hashNode;
            YamlNode first = seenKeys.putIfAbsent(digest, at);
            if (first != null) {
                problems.at(at, "duplicate API key, the same as " + first.pointer());
            }
        }
        YamlNode nameNode = s.required("name");
        String name = string(nameNode, "name", null);
        if (name != null) {
            if (name.isEmpty()) {
                problems.at(nameNode, "name must not be empty");
                name = null;
            } else if (!name.chars().allMatch(ConfigReader::isNameChar)) {
                problems.at(nameNode, "name may only contain letters, digits and - _ . : @");
                name = null;
            } else {
                YamlNode first = seenNames.putIfAbsent(name, nameNode);
                if (first != null) {
                    // A name taken from the environment is not repeated: nothing from the environment under /auth is.
                    String shown = nameNode.substituted() || first.substituted() ? "" : " '" + name + "'";
                    problems.at(nameNode, "duplicate client name" + shown + ", already used by " + first.pointer());
                }
            }
        }
        YamlNode policiesNode = s.optional("policies");
        List<String> policies = policyNames(policiesNode, "policies");
        YamlNode limitNode = policiesNode == null ? s.required("rate_limit") : s.optional("rate_limit");
        long limit = limitNode == null ? 0 : integer(limitNode, "rate_limit", 1, MAX_RATE_LIMIT, 0);
        s.rejectUnknownKeys();
        return (key == null && hash == null) || name == null || policies == null
                || limit < 1 && (limitNode != null || policies.isEmpty()) ? null
                : new ApiKeyConfig(key, hash, name, limit, policies);
    }

    /** The {@code key} of an entry, or null with the problem reported; {@code node} is null when empty. */
    private String apiKeyText(YamlNode node, YamlNode written) {
        if (node == null) {
            problems.at(written, "key must not be empty");
            return null;
        }
        String key = string(node, "key", null);
        if (key == null) {
            return null;
        }
        if (key.isEmpty()) {
            problems.at(node, "key must not be empty");
            return null;
        }
        if (!key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            problems.at(node, "key may only contain printable ASCII characters, without spaces");
            return null;
        }
        return key;
    }

    /**
     * The {@code key_sha256} of an entry in lower case, or null with the problem reported. A hash of digits only
     * reads as a YAML number; its text is taken as written.
     */
    private String apiKeyHash(YamlNode node, YamlNode written) {
        if (node == null) {
            problems.at(written, "key_sha256 must not be empty");
            return null;
        }
        if (node.kind() == YamlNode.Kind.INVALID) {
            return null;
        }
        if (node.kind() != YamlNode.Kind.STRING && node.kind() != YamlNode.Kind.INTEGER
                && node.kind() != YamlNode.Kind.DECIMAL) {
            typeError(node, "key_sha256", "64 hex digits");
            return null;
        }
        String text = node.text();
        if (!ApiKeyConfig.isSha256Hex(text)) {
            problems.at(node, "key_sha256 must be 64 hex digits: the first field printed by"
                    + " printf %s \"$KEY\" | sha256sum");
            return null;
        }
        return text.toLowerCase(Locale.ROOT);
    }

    private RateLimitConfig rateLimit(Section s) {
        Duration window = duration(s.optional("window"), "window", ONE_MS, MAX_WINDOW,
                RateLimitConfig.DEFAULT_WINDOW);
        YamlNode storeNode = s.optional("store");
        RateLimitStore store = rateLimitStore(storeNode);
        Section redisSection = s.section("redis");
        RedisConfig redis = null;
        if (store == RateLimitStore.REDIS) {
            if (!redisSection.present()) {
                problems.at(storeNode, "store: redis needs a redis section with at least a url,"
                        + " like redis: {url: redis://localhost:6379}");
            } else {
                redis = redis(redisSection);
            }
        } else if (redisSection.present()) {
            problems.atKey(redisSection.node, redisSection.pointer,
                    "redis is only used with store: redis; add store: redis or remove the redis section");
        }
        Set<RateLimitHeaders> headers = rateLimitHeaders(s.optional("headers"));
        Map<String, RateLimitPolicyConfig> policies = policies(s.optional("policies"));
        s.rejectUnknownKeys();
        if (store == RateLimitStore.REDIS && redis == null) {
            return RateLimitConfig.defaults();
        }
        return new RateLimitConfig(window, store, redis, headers, policies, Map.of());
    }

    // Rate-limit policies: rate_limit.headers and .policies, a key's or route's policies, rate_limit_by_ip.

    private Set<RateLimitHeaders> rateLimitHeaders(YamlNode node) {
        Set<RateLimitHeaders> headers = EnumSet.noneOf(RateLimitHeaders.class);
        for (String value : strings(node, "headers", List.of("legacy", "ietf"), (n, v) -> {
            if (!v.equals("legacy") && !v.equals("ietf")) {
                problems.at(n, "headers entries must each be legacy (X-RateLimit-*) or ietf (RateLimit,"
                        + " RateLimit-Policy), got '" + printable(v) + "'");
            }
        })) {
            if (value.equals("legacy")) {
                headers.add(RateLimitHeaders.LEGACY);
            } else if (value.equals("ietf")) {
                headers.add(RateLimitHeaders.IETF);
            }
        }
        return headers;
    }

    /** {@code rate_limit.policies}: a mapping of name to {@code {limit, window}}, in the order written. */
    private Map<String, RateLimitPolicyConfig> policies(YamlNode node) {
        Map<String, RateLimitPolicyConfig> policies = new java.util.LinkedHashMap<>();
        if (node == null) {
            return policies;
        }
        if (node.kind() != YamlNode.Kind.MAPPING) {
            typeError(node, "policies", "a mapping of policy names to {limit: N, window: 1h}");
            return policies;
        }
        for (Map.Entry<String, YamlNode> entry : node.entries().entrySet()) {
            String name = entry.getKey();
            YamlNode value = entry.getValue();
            boolean ok = true;
            if (name.equals(RateLimitPolicyConfig.DEFAULT)) {
                problems.atKey(value, value.pointer(), "'default' is the policy of a key's rate_limit: N and"
                        + " rate_limit.window; give this policy another name");
                ok = false;
            } else if (!RateLimitPolicyConfig.isName(name)) {
                problems.atKey(value, value.pointer(), "policy names must start with a letter and contain only"
                        + " letters, digits and - _ . (at most 64), got '" + printable(name) + "'");
                ok = false;
            }
            if (value.kind() != YamlNode.Kind.MAPPING) {
                typeError(value, "policy " + printable(name), "a mapping like {limit: 20, window: 1s}");
                brokenPolicies.add(name);
                continue;
            }
            Section ps = new Section(value, value.pointer());
            YamlNode limitNode = ps.required("limit");
            long limit = limitNode == null ? 0 : integer(limitNode, "limit", 1, MAX_RATE_LIMIT, 0);
            YamlNode windowNode = ps.required("window");
            Duration window = windowNode == null ? null : duration(windowNode, "window",
                    RateLimitPolicyConfig.MIN_WINDOW, RateLimitPolicyConfig.MAX_WINDOW, null);
            ps.rejectUnknownKeys();
            if (ok && limit >= 1 && window != null) {
                policies.put(name, new RateLimitPolicyConfig(name, limit, window));
            } else {
                brokenPolicies.add(name);
            }
        }
        return policies;
    }

    /**
     * A list of policy names (a single name counts as a list of one), each kept for the check against
     * {@code rate_limit.policies}; null when an entry is not a name or is repeated (the problem is reported).
     */
    private List<String> policyNames(YamlNode node, String label) {
        if (node == null) {
            return List.of();
        }
        List<YamlNode> items = node.kind() == YamlNode.Kind.LIST ? node.items() : List.of(node);
        if (items.isEmpty()) {
            problems.at(node, label + " must name at least one policy from rate_limit.policies");
            return null;
        }
        List<String> names = new ArrayList<>();
        boolean ok = true;
        for (YamlNode item : items) {
            String name = string(item, label + " entries", null);
            if (name == null) {
                ok = false;
            } else if (names.contains(name)) {
                problems.at(item, label + " names the same policy twice");
                ok = false;
            } else {
                names.add(name);
                policyReferences.add(item);
            }
        }
        return ok ? names : null;
    }

    /** A route's {@code policies} and {@code rate_limit_by_ip}, kept by prefix for {@link RateLimitConfig#routes()}. */
    private void routeRateLimit(Section s, String prefix, AuthMode auth) {
        YamlNode policiesNode = s.optional("policies");
        List<String> policies = policyNames(policiesNode, "policies");
        YamlNode byIpNode = s.optional("rate_limit_by_ip");
        List<String> byIp = byIpNode == null || byIpNode.kind() == YamlNode.Kind.LIST
                ? null : policyNames(byIpNode, "rate_limit_by_ip");
        if (byIpNode != null && byIp == null && byIpNode.kind() == YamlNode.Kind.LIST) {
            typeError(byIpNode, "rate_limit_by_ip", "the name of one policy from rate_limit.policies");
        }
        if (byIpNode != null && auth != AuthMode.NONE) {
            problems.at(byIpNode, "rate_limit_by_ip is for auth: none routes; a route with keys limits each client"
                    + " by its key (add the policy to the route's policies instead)");
        }
        if (policiesNode != null && auth == AuthMode.NONE && byIpNode == null) {
            problems.at(policiesNode, "policies on an auth: none route need rate_limit_by_ip: without a client"
                    + " there is nothing to count them against");
        }
        String ipPolicy = byIp == null || byIp.isEmpty() ? null : byIp.get(0);
        if (prefix != null && policies != null && (!policies.isEmpty() || ipPolicy != null)) {
            routeLimits.put(prefix, new RouteRateLimitConfig(policies, ipPolicy));
        }
    }

    private void checkPolicyReferences(RateLimitConfig rateLimit) {
        for (YamlNode reference : policyReferences) {
            String name = reference.text();
            if (rateLimit.policies().containsKey(name) || brokenPolicies.contains(name)) {
                continue;
            }
            String defined = rateLimit.policies().isEmpty() ? "none are defined"
                    : "defined are " + join(rateLimit.policies().keySet());
            // A name under /auth is not repeated: a key pasted into the wrong field must not reach a log.
            String shown = mayHoldSecrets(reference.pointer()) ? "" : " '" + printable(name) + "'";
            problems.at(reference, "unknown rate-limit policy" + shown + ": rate_limit.policies has no such"
                    + " entry (" + defined + ")");
        }
    }

    private TransportKind transport(YamlNode node) {
        String text = string(node, "transport", "auto");
        switch (text) {
            case "auto":
                return TransportKind.AUTO;
            case "io_uring":
                return TransportKind.IO_URING;
            case "epoll":
                return TransportKind.EPOLL;
            case "nio":
                return TransportKind.NIO;
            default:
                problems.at(node, "transport must be auto, io_uring, epoll or nio, got '" + printable(text) + "'");
                return TransportKind.AUTO;
        }
    }

    private RateLimitStore rateLimitStore(YamlNode node) {
        String text = string(node, "store", "local");
        switch (text) {
            case "local":
                return RateLimitStore.LOCAL;
            case "redis":
                return RateLimitStore.REDIS;
            default:
                problems.at(node, "store must be local or redis, got '" + printable(text) + "'");
                return RateLimitStore.LOCAL;
        }
    }

    /** {@code rate_limit.redis}; null when the url is missing or bad (the problem is reported). */
    private RedisConfig redis(Section s) {
        YamlNode urlNode = s.required("url");
        String url = string(urlNode, "url", null);
        RedisConfig parsed = url == null ? null : redisUrl(urlNode, url);
        Duration timeout = duration(s.optional("timeout"), "timeout", ONE_MS, MAX_REDIS_TIMEOUT,
                RedisConfig.DEFAULT_TIMEOUT);
        RedisFailureMode onFailure = redisFailureMode(s.optional("on_failure"));
        boolean cluster = bool(s.optional("cluster"), "cluster", false);
        s.rejectUnknownKeys();
        if (parsed != null && cluster && parsed.database() != 0) {
            problems.at(urlNode, "url database must be 0 with cluster: true (Redis Cluster has only database 0),"
                    + " got /" + parsed.database() + "; remove the /" + parsed.database() + " from the url");
            return null;
        }
        return parsed == null ? null
                : parsed.withTimeout(timeout).withOnFailure(onFailure).withCluster(cluster);
    }

    private RedisFailureMode redisFailureMode(YamlNode node) {
        String text = string(node, "on_failure", "local");
        switch (text) {
            case "local":
                return RedisFailureMode.LOCAL;
            case "open":
                return RedisFailureMode.OPEN;
            case "closed":
                return RedisFailureMode.CLOSED;
            default:
                problems.at(node, "on_failure must be local, open or closed, got '" + printable(text) + "'");
                return RedisFailureMode.LOCAL;
        }
    }

    /**
     * {@code redis[s]://[[user]:password@]host[:port][/database]}. The text may hold a password, so no message
     * repeats it.
     */
    private RedisConfig redisUrl(YamlNode node, String text) {
        String expected = "; write redis://host:port, redis://:password@host:port/database or rediss://... for TLS";
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            problems.at(node, "url is not a valid URL (" + e.getReason() + " at index " + e.getIndex() + ")"
                    + expected);
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("redis") && !scheme.equals("rediss") || uri.isOpaque()) {
            problems.at(node, "url must start with redis:// or rediss://" + expected);
            return null;
        }
        if (uri.getHost() == null) {
            problems.at(node, "url has no valid host name" + expected);
            return null;
        }
        int port = uri.getPort() < 0 ? RedisConfig.DEFAULT_PORT : uri.getPort();
        if (port == 0 || port > 65535) {
            problems.at(node, "url port must be between 1 and 65535, got " + port);
            return null;
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            problems.at(node, "url must not have a query ('?') or fragment ('#')" + expected);
            return null;
        }
        String path = uri.getRawPath();
        int database = 0;
        if (!path.isEmpty() && !path.equals("/")) {
            String digits = path.substring(1);
            if (!digits.matches("[0-9]{1,9}")) {
                problems.at(node, "url path must be a database number like /0, got a path that is not" + expected);
                return null;
            }
            database = Integer.parseInt(digits);
        }
        String username = null;
        String password = null;
        String userInfo = uri.getRawUserInfo();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            // Lettuce's convention: redis://password@host is a password alone; redis://user:password@host an ACL user.
            String rawUser = colon < 0 ? "" : userInfo.substring(0, colon);
            String rawPassword = colon < 0 ? userInfo : userInfo.substring(colon + 1);
            username = rawUser.isEmpty() ? null : percentDecode(rawUser);
            password = percentDecode(rawPassword);
            if (username == null && rawUser.length() > 0 || password == null || password.isEmpty()) {
                problems.at(node, "url password is empty or badly percent-encoded (it is not shown);"
                        + " encode '@', ':' and '%' in it as %40, %3A and %25");
                return null;
            }
        }
        String host = uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new RedisConfig(host, port, database, scheme.equals("rediss"), username, password,
                RedisConfig.DEFAULT_TIMEOUT, RedisConfig.DEFAULT_ON_FAILURE);
    }

    /** RFC 3986 percent-decoding as UTF-8; null when a '%' is not followed by two hex digits. */
    private static String percentDecode(String raw) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] bytes = raw.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] != '%') {
                out.write(bytes[i]);
                continue;
            }
            if (i + 2 >= bytes.length) {
                return null;
            }
            int hi = Character.digit(bytes[i + 1], 16);
            int lo = Character.digit(bytes[i + 2], 16);
            if (hi < 0 || lo < 0) {
                return null;
            }
            out.write(hi * 16 + lo);
            i += 2;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private CorsConfig cors(Section s) {
        YamlNode originsNode = s.optional("allow_origins");
        List<String> origins = strings(originsNode, "allow_origins", CorsConfig.DEFAULT_ALLOW_ORIGINS,
                this::checkOrigin);
        origins = origins.stream().map(o -> o.toLowerCase(Locale.ROOT)).toList();
        List<String> methods = strings(s.optional("allow_methods"), "allow_methods",
                CorsConfig.DEFAULT_ALLOW_METHODS, tokenCheck("allow_methods", "an HTTP method"));
        List<String> headers = strings(s.optional("allow_headers"), "allow_headers",
                CorsConfig.DEFAULT_ALLOW_HEADERS, tokenCheck("allow_headers", "a header name"));
        List<String> expose = strings(s.optional("expose_headers"), "expose_headers",
                CorsConfig.DEFAULT_EXPOSE_HEADERS, tokenCheck("expose_headers", "a header name"));
        YamlNode credentialsNode = s.optional("allow_credentials");
        boolean credentials = bool(credentialsNode, "allow_credentials", false);
        if (credentials && origins.contains("*")) {
            problems.at(credentialsNode, "allow_credentials: true cannot be combined with allow_origins '*';"
                    + " list the allowed origins instead");
        }
        Duration maxAge = duration(s.optional("max_age"), "max_age", Duration.ZERO, MAX_CORS_MAX_AGE,
                CorsConfig.DEFAULT_MAX_AGE);
        s.rejectUnknownKeys();
        return new CorsConfig(origins, methods, headers, expose, credentials, maxAge);
    }

    private void checkOrigin(YamlNode node, String origin) {
        if (origin.equals("*")) {
            return;
        }
        String expected = "allow_origins entries must be \"*\" or an origin like https://app.example.com"
                + " (scheme://host[:port], no path), got '" + origin + "'";
        URI uri;
        try {
            uri = new URI(origin);
        } catch (URISyntaxException e) {
            problems.at(node, expected);
            return;
        }
        if (uri.getScheme() == null || uri.getHost() == null || uri.getRawUserInfo() != null
                || uri.getPort() == 0 || uri.getPort() > 65535
                || !uri.getRawPath().isEmpty() || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            problems.at(node, expected);
        }
    }

    private BackendConfig backend(Section s) {
        Duration connect = duration(s.optional("connect_timeout"), "connect_timeout", ONE_MS, MAX_CONNECT_TIMEOUT,
                BackendConfig.DEFAULT_CONNECT_TIMEOUT);
        int maxIdle = (int) integer(s.optional("pool_max_idle"), "pool_max_idle", 0, 10_000,
                BackendConfig.DEFAULT_POOL_MAX_IDLE);
        Duration idle = duration(s.optional("pool_idle_timeout"), "pool_idle_timeout", ONE_MS, MAX_POOL_IDLE_TIMEOUT,
                BackendConfig.DEFAULT_POOL_IDLE_TIMEOUT);
        s.rejectUnknownKeys();
        return new BackendConfig(connect, maxIdle, idle);
    }

    private List<RouteConfig> routes(YamlNode node, Map<String, UpstreamConfig> upstreams) {
        if (node == null) {
            return List.of();
        }
        if (node.kind() != YamlNode.Kind.LIST) {
            typeError(node, "routes", "a list of routes, each with a prefix and an upstream");
            return List.of();
        }
        if (node.items().isEmpty()) {
            problems.at(node, "routes must contain at least one route");
            return List.of();
        }
        List<RouteConfig> routes = new ArrayList<>();
        Map<String, YamlNode> seenPrefixes = new HashMap<>();
        for (YamlNode item : node.items()) {
            RouteConfig route = route(item, seenPrefixes, upstreams);
            if (route != null) {
                routes.add(route);
            }
        }
        return routes;
    }

    private RouteConfig route(YamlNode item, Map<String, YamlNode> seenPrefixes,
                              Map<String, UpstreamConfig> upstreams) {
        if (item.kind() != YamlNode.Kind.MAPPING) {
            typeError(item, "each route", "a mapping with a prefix and an upstream");
            return null;
        }
        Section s = new Section(item, item.pointer());
        YamlNode prefixNode = s.required("prefix");
        String prefix = string(prefixNode, "prefix", null);
        if (prefix != null) {
            String problem = prefixProblem(prefix);
            if (problem != null) {
                problems.at(prefixNode, problem);
                prefix = null;
            } else {
                YamlNode first = seenPrefixes.putIfAbsent(prefix, prefixNode);
                if (first != null) {
                    problems.at(prefixNode, "duplicate prefix '" + prefix + "', already used by "
                            + parentOf(first.pointer()));
                }
            }
        }
        YamlNode upstreamNode = s.required("upstream");
        UpstreamConfig named = null;
        List<URI> upstream = List.of();
        if (upstreamNode != null && UpstreamsReader.isName(upstreamNode)) {
            named = upstreams.get(upstreamNode.text());
            if (named == null && !declaredUpstreams.contains(upstreamNode.text())) {
                problems.at(upstreamNode, "upstream '" + printable(upstreamNode.text()) + "' is neither a URL nor"
                        + " the name of an entry of upstreams" + (upstreams.isEmpty() ? " (there are none)"
                        : " (" + join(upstreams.keySet()) + ")"));
            }
        } else {
            upstream = upstream(upstreamNode);
        }
        boolean stripPrefix = bool(s.optional("strip_prefix"), "strip_prefix", false);
        boolean preserveHost = bool(s.optional("preserve_host"), "preserve_host", false);
        AuthMode auth = authMode(s.optional("auth"));
        RouteAccessConfig routeAccess = access.route(s, auth);
        Duration timeout = duration(s.optional("timeout"), "timeout", ONE_MS, MAX_ROUTE_TIMEOUT,
                RouteConfig.DEFAULT_TIMEOUT);
        long maxBody = size(s.optional("max_body"), "max_body", 0, MAX_BODY, RouteConfig.DEFAULT_MAX_BODY);
        WebSocketConfig websocket = websocket(s);
        routeRateLimit(s, prefix, auth);
        caches.route(s.optional("cache"), prefix);
        s.rejectUnknownKeys();
        if (prefix == null || (upstream.isEmpty() && named == null)) {
            return null;
        }
        UpstreamConfig target = named != null ? named : UpstreamConfig.inline(prefix, upstream);
        return new RouteConfig(prefix, target, stripPrefix, preserveHost, auth, timeout, maxBody, routeAccess,
                websocket);
    }

    /** A route's {@code websocket} and {@code websocket_idle_timeout}; the timeout means nothing without the first. */
    private WebSocketConfig websocket(Section s) {
        boolean enabled = bool(s.optional("websocket"), "websocket", false);
        YamlNode idleNode = s.optional("websocket_idle_timeout");
        Duration idle = duration(idleNode, "websocket_idle_timeout", Duration.ofSeconds(1), MAX_WEBSOCKET_IDLE,
                WebSocketConfig.DEFAULT_IDLE_TIMEOUT);
        if (idleNode != null && !enabled) {
            problems.at(idleNode, "websocket_idle_timeout needs websocket: true on the same route");
        }
        return enabled ? new WebSocketConfig(true, idle) : WebSocketConfig.OFF;
    }

    /** The rules that make prefix matching on segment boundaries unambiguous; null when the prefix is fine. */
    static String prefixProblem(String prefix) {
        if (!prefix.startsWith("/")) {
            return "prefix must start with '/', got '" + prefix + "'";
        }
        for (int i = 0; i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            if (!isPathChar(c)) {
                return "prefix must not contain " + describeChar(c) + ", got '" + printable(prefix) + "'";
            }
        }
        if (prefix.length() > 1 && prefix.endsWith("/")) {
            return "prefix must not end with '/' (write '" + prefix.replaceAll("/+$", "") + "')";
        }
        if (prefix.contains("//")) {
            return "prefix must not contain '//', got '" + prefix + "'";
        }
        for (String segment : prefix.substring(1).split("/")) {
            if (segment.equals(".") || segment.equals("..")) {
                return "prefix must not contain '.' or '..' segments, got '" + prefix + "'";
            }
        }
        if (prefix.equals(HEALTH_PATH) || prefix.startsWith(HEALTH_PATH + "/")) {
            return "prefix '" + prefix + "' is reserved: the gateway answers GET /health itself";
        }
        return null;
    }

    private List<URI> upstream(YamlNode node) {
        if (node == null) {
            return List.of();
        }
        List<YamlNode> items;
        if (node.kind() != YamlNode.Kind.LIST && node.kind() != YamlNode.Kind.STRING) {
            typeError(node, "upstream", "a URL, a list of URLs or the name of an entry of upstreams");
            return List.of();
        } else if (node.kind() == YamlNode.Kind.LIST) {
            items = node.items();
            if (items.isEmpty()) {
                problems.at(node, "upstream must list at least one URL");
            }
        } else {
            items = List.of(node);
        }
        List<URI> targets = new ArrayList<>();
        boolean ok = true;
        for (YamlNode item : items) {
            String text = string(item, "upstream", null);
            URI uri = text == null ? null : upstreamUri(item, text);
            if (uri == null) {
                ok = false;
            } else {
                targets.add(uri);
            }
        }
        return ok ? targets : List.of();
    }

    /** An http URL with a host, optional port and optional base path; normalised to have no trailing '/'. */
    private URI upstreamUri(YamlNode node, String text) {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            problems.at(node, "upstream '" + printable(text) + "' is not a valid URL: " + e.getReason());
            return null;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || uri.isOpaque()) {
            problems.at(node, "upstream must be an http:// or https:// URL like http://localhost:4001, got '"
                    + text + "'");
            return null;
        }
        if (uri.getHost() == null) {
            problems.at(node, "upstream '" + text + "' has no valid host name");
            return null;
        }
        if (uri.getRawUserInfo() != null) {
            problems.at(node, "upstream must not contain user info ('user@')");
            return null;
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            problems.at(node, "upstream port must be between 1 and 65535, got " + uri.getPort());
            return null;
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            problems.at(node, "upstream must not have a query ('?') or fragment ('#'), got '" + text + "'");
            return null;
        }
        String basePath = uri.getRawPath().replaceAll("/+$", "");
        return URI.create(scheme + "://" + uri.getRawAuthority() + basePath);
    }

    private AuthMode authMode(YamlNode node) {
        String text = string(node, "auth", "api_key");
        switch (text) {
            case "api_key":
                return AuthMode.API_KEY;
            case "none":
                return AuthMode.NONE;
            case "jwt":
                return AuthMode.JWT;
            case "api_key_or_jwt":
                return AuthMode.API_KEY_OR_JWT;
            default:
                problems.at(node, "auth must be api_key, jwt, api_key_or_jwt or none, got '" + printable(text) + "'");
                return AuthMode.API_KEY;
        }
    }

    /** {@code auth.jwt}, {@code trusted_proxies}, and a route's {@code jwt_providers}, {@code allow_ips}, {@code deny_ips}. */
    private final class AccessReader {

        private static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(10);
        private static final java.util.regex.Pattern PROVIDER_NAME =
                java.util.regex.Pattern.compile("[A-Za-z][A-Za-z0-9_.-]{0,63}");
        /** Headers a claim may not be copied into: the gateway's own, framing, and credentials. */
        private static final Set<String> RESERVED_HEADERS = Set.of("host", "content-length", "transfer-encoding",
                "connection", "keep-alive", "upgrade", "te", "trailer", "proxy-authorization", "authorization",
                "cookie", "x-client-name", "x-request-id", "traceparent", "tracestate", "x-forwarded-for",
                "x-forwarded-proto", "x-forwarded-host", "forwarded");

        private final Map<String, JwtProviderConfig> providers = new java.util.LinkedHashMap<>();
        /** Every provider name written, valid or not: a route naming a broken one gets no second message. */
        private final Set<String> declared = new HashSet<>();

        Map<String, JwtProviderConfig> providers(YamlNode node) {
            if (node == null) {
                return providers;
            }
            if (node.kind() != YamlNode.Kind.MAPPING) {
                typeError(node, "jwt", "a mapping of provider names to {issuer, audiences, algorithms, jwks_url}");
                return providers;
            }
            for (Map.Entry<String, YamlNode> entry : node.entries().entrySet()) {
                String name = entry.getKey();
                declared.add(name);
                YamlNode value = entry.getValue();
                if (!PROVIDER_NAME.matcher(name).matches()) {
                    problems.atKey(value, value.pointer(), "JWT provider names must start with a letter and contain"
                            + " only letters, digits and - _ . (at most 64), got '" + printable(name) + "'");
                    continue;
                }
                if (value.kind() != YamlNode.Kind.MAPPING) {
                    typeError(value, "JWT provider " + name, "a mapping with issuer, audiences, algorithms and"
                            + " jwks_url or jwks_file");
                    continue;
                }
                JwtProviderConfig provider = provider(name, new Section(value, value.pointer()), value);
                if (provider != null) {
                    providers.put(name, provider);
                }
            }
            return providers;
        }

        private JwtProviderConfig provider(String name, Section s, YamlNode node) {
            YamlNode issuerNode = s.required("issuer");
            String issuer = string(issuerNode, "issuer", null);
            if (issuer != null && issuer.isBlank()) {
                problems.at(issuerNode, "issuer must not be empty");
                issuer = null;
            }
            YamlNode audiencesNode = s.required("audiences");
            List<String> audiences = strings(audiencesNode, "audiences", List.of(), (n, v) -> {
                if (v.isEmpty()) {
                    problems.at(n, "audiences entries must not be empty");
                }
            });
            if (audiencesNode != null && audiences.isEmpty()) {
                problems.at(audiencesNode, "audiences must list at least one audience");
            }
            YamlNode algorithmsNode = s.required("algorithms");
            List<String> algorithms = strings(algorithmsNode, "algorithms", List.of(), this::checkAlgorithm);
            if (algorithmsNode != null && algorithms.isEmpty()) {
                problems.at(algorithmsNode, "algorithms must list at least one of "
                        + join(JwtProviderConfig.SUPPORTED_ALGORITHMS));
            }
            boolean urlWritten = node.entries().containsKey("jwks_url");
            boolean fileWritten = node.entries().containsKey("jwks_file");
            YamlNode urlNode = s.optional("jwks_url");
            YamlNode fileNode = s.optional("jwks_file");
            URI url = null;
            java.nio.file.Path file = null;
            String jwks = null;
            if (urlWritten == fileWritten) {
                problems.add(node.line(), node.column(), node.pointer(), urlWritten
                        ? "give either jwks_url or jwks_file, not both" : "missing required key 'jwks_url' or 'jwks_file'");
            } else if (urlNode != null) {
                url = jwksUrl(urlNode);
            } else if (fileNode != null) {
                String text = string(fileNode, "jwks_file", null);
                if (text != null) {
                    file = java.nio.file.Path.of(text);
                    jwks = jwksFile(fileNode, file);
                }
            }
            YamlNode refreshNode = s.optional("refresh");
            Duration refresh = duration(refreshNode, "refresh", JwtProviderConfig.MIN_REFRESH,
                    JwtProviderConfig.MAX_REFRESH, JwtProviderConfig.DEFAULT_REFRESH);
            if (refreshNode != null && fileWritten && !urlWritten) {
                problems.at(refreshNode, "refresh is only used with jwks_url; a jwks_file is read again on reload");
            }
            Duration skew = duration(s.optional("clock_skew"), "clock_skew", Duration.ZERO, MAX_CLOCK_SKEW,
                    JwtProviderConfig.DEFAULT_CLOCK_SKEW);
            YamlNode claimNode = s.optional("client_claim");
            String clientClaim = string(claimNode, "client_claim", JwtProviderConfig.DEFAULT_CLIENT_CLAIM);
            if (clientClaim.isEmpty()) {
                problems.at(claimNode, "client_claim must not be empty");
            }
            long rateLimit = integer(s.optional("rate_limit"), "rate_limit", 1, MAX_RATE_LIMIT, 0);
            Map<String, String> headers = claimsToHeaders(s.optional("claims_to_headers"));
            s.rejectUnknownKeys();
            if (issuer == null || audiences.isEmpty() || algorithms.isEmpty() || url == null && jwks == null
                    || !problems.isEmpty()) {
                return null;
            }
            return new JwtProviderConfig(name, issuer, audiences, List.copyOf(new LinkedHashSet<>(algorithms)), url,
                    file, jwks, refresh, skew, clientClaim, rateLimit, headers);
        }

        private void checkAlgorithm(YamlNode node, String alg) {
            if (JwtProviderConfig.SUPPORTED_ALGORITHMS.contains(alg)) {
                return;
            }
            if (alg.equalsIgnoreCase("none")) {
                problems.at(node, "algorithms must not contain none: an unsigned token proves nothing");
            } else if (alg.toUpperCase(Locale.ROOT).startsWith("HS")) {
                problems.at(node, "algorithms must not contain " + printable(alg) + ": with a key set, an HMAC"
                        + " algorithm would let anyone who has the public key sign tokens");
            } else {
                problems.at(node, "algorithms entries must each be one of "
                        + join(JwtProviderConfig.SUPPORTED_ALGORITHMS) + ", got '" + printable(alg) + "'");
            }
        }

        private URI jwksUrl(YamlNode node) {
            String text = string(node, "jwks_url", null);
            if (text == null) {
                return null;
            }
            String expected = "jwks_url must be an http:// or https:// URL like https://idp.example.com/jwks.json";
            URI uri;
            try {
                uri = new URI(text);
            } catch (URISyntaxException e) {
                problems.at(node, expected + "; '" + printable(text) + "' is not valid (" + e.getReason() + ")");
                return null;
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.isOpaque() || uri.getHost() == null) {
                problems.at(node, expected + ", got '" + printable(text) + "'");
                return null;
            }
            if (uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
                problems.at(node, "jwks_url must not contain user info ('user@') or a fragment ('#')");
                return null;
            }
            if (uri.getPort() == 0 || uri.getPort() > 65535) {
                problems.at(node, "jwks_url port must be between 1 and 65535, got " + uri.getPort());
                return null;
            }
            return uri;
        }

        /** The file's text when it is a key set of public signing keys; null with the problem reported. */
        private String jwksFile(YamlNode node, java.nio.file.Path file) {
            String text;
            try {
                text = java.nio.file.Files.readString(file);
            } catch (java.nio.file.NoSuchFileException e) {
                problems.at(node, "jwks_file cannot be read: no such file");
                return null;
            } catch (java.io.IOException | RuntimeException e) {
                problems.at(node, "jwks_file cannot be read: " + e.getClass().getSimpleName());
                return null;
            }
            com.nimbusds.jose.jwk.JWKSet set;
            try {
                set = com.nimbusds.jose.jwk.JWKSet.parse(text);
            } catch (java.text.ParseException e) {
                // The parser's message may quote the file; it is not repeated.
                problems.at(node, "jwks_file is not a JSON Web Key Set (RFC 7517: {\"keys\": [...]})");
                return null;
            }
            if (set.getKeys().stream().anyMatch(com.nimbusds.jose.jwk.JWK::isPrivate)) {
                problems.at(node, "jwks_file holds private key material; give only the public keys");
                return null;
            }
            return text;
        }

        private Map<String, String> claimsToHeaders(YamlNode node) {
            Map<String, String> headers = new java.util.LinkedHashMap<>();
            if (node == null) {
                return headers;
            }
            if (node.kind() != YamlNode.Kind.MAPPING) {
                typeError(node, "claims_to_headers", "a mapping of claim names to header names, like"
                        + " {sub: X-Auth-Subject}");
                return headers;
            }
            Set<String> seen = new HashSet<>();
            for (Map.Entry<String, YamlNode> entry : node.entries().entrySet()) {
                String header = string(entry.getValue(), "claims_to_headers values", null);
                if (header == null) {
                    continue;
                }
                String lower = header.toLowerCase(Locale.ROOT);
                if (!isToken(header)) {
                    problems.at(entry.getValue(), "claims_to_headers values must be header names, got '"
                            + printable(header) + "'");
                } else if (RESERVED_HEADERS.contains(lower) || lower.startsWith("x-ratelimit")
                        || lower.startsWith("ratelimit")) {
                    problems.at(entry.getValue(), "claims_to_headers cannot set " + header
                            + ": the gateway or the HTTP framing owns it");
                } else if (!seen.add(lower)) {
                    problems.at(entry.getValue(), "claims_to_headers sets " + header + " twice");
                } else {
                    headers.put(entry.getKey(), header);
                }
            }
            return headers;
        }

        /** A list of addresses and CIDR blocks; a single one counts as a list of one. */
        IpRanges ipRanges(YamlNode node, String label) {
            List<IpRange> ranges = new ArrayList<>();
            for (String text : strings(node, label, List.of(), (n, v) -> { })) {
                try {
                    ranges.add(IpRange.parse(text.trim()));
                } catch (IllegalArgumentException e) {
                    YamlNode at = node.kind() == YamlNode.Kind.LIST
                            ? node.items().stream().filter(i -> text.equals(i.text())).findFirst().orElse(node)
                            : node;
                    problems.at(at, label + " entries must be IP addresses or CIDR blocks like 10.0.0.0/8 or"
                            + " 2001:db8::/32; '" + printable(text) + "': " + e.getMessage());
                }
            }
            return new IpRanges(ranges);
        }

        RouteAccessConfig route(Section s, AuthMode auth) {
            YamlNode namesNode = s.optional("jwt_providers");
            List<String> names = new ArrayList<>();
            if (namesNode != null && !auth.acceptsJwt()) {
                problems.at(namesNode, "jwt_providers is only used with auth: jwt or auth: api_key_or_jwt");
            } else if (namesNode != null) {
                for (String name : strings(namesNode, "jwt_providers", List.of(), (n, v) -> {
                    if (!declared.contains(v)) {
                        problems.at(n, "unknown JWT provider '" + printable(v) + "': auth.jwt has no such entry ("
                                + (declared.isEmpty() ? "none are defined" : "defined are " + join(declared)) + ")");
                    }
                })) {
                    if (names.contains(name)) {
                        problems.at(namesNode, "jwt_providers names " + printable(name) + " twice");
                    }
                    names.add(name);
                }
                if (names.isEmpty()) {
                    problems.at(namesNode, "jwt_providers must name at least one provider of auth.jwt");
                }
            } else if (auth.acceptsJwt()) {
                names.addAll(declared);
                if (names.isEmpty()) {
                    YamlNode authNode = s.optional("auth");
                    problems.at(authNode, "auth: " + (auth == AuthMode.JWT ? "jwt" : "api_key_or_jwt")
                            + " needs a JWT provider under auth.jwt");
                }
            }
            Map<String, String> issuers = new HashMap<>();
            for (String name : names) {
                JwtProviderConfig provider = providers.get(name);
                String other = provider == null ? null : issuers.putIfAbsent(provider.issuer(), name);
                if (other != null) {
                    problems.at(namesNode != null ? namesNode : s.optional("auth"), "JWT providers " + other
                            + " and " + name + " have the same issuer; a route can accept only one of them");
                }
            }
            IpRanges allow = ipRanges(s.optional("allow_ips"), "allow_ips");
            IpRanges deny = ipRanges(s.optional("deny_ips"), "deny_ips");
            return new RouteAccessConfig(names, allow, deny);
        }
    }

    /** The top-level {@code admin}, {@code access_log} and {@code tracing} sections. */
    private final class OperationsReader {

        OperationsConfig operations(Section top) {
            return new OperationsConfig(admin(top.section("admin")), accessLog(top.section("access_log")),
                    tracing(top.section("tracing")), null);
        }

        private AdminConfig admin(Section s) {
            YamlNode portNode = s.optional("port");
            int port = portNode == null ? AdminConfig.DISABLED : (int) integer(portNode, "port", 0, 65535, 0);
            YamlNode hostNode = s.optional("host");
            String host = string(hostNode, "host", AdminConfig.DEFAULT_HOST);
            if (hostNode != null && host.equals(hostNode.text()) && (host.isEmpty() || hasSpaceOrControl(host))) {
                problems.at(hostNode, "host must be an address or host name without spaces, like 127.0.0.1");
            }
            if (s.present() && portNode == null && hostNode != null) {
                problems.at(hostNode, "admin.host needs admin.port: without a port there is no admin listener");
            }
            s.rejectUnknownKeys();
            return new AdminConfig(host, port);
        }

        private AccessLogConfig accessLog(Section s) {
            YamlNode formatNode = s.optional("format");
            String text = string(formatNode, "format", "text");
            AccessLogConfig.Format format = switch (text) {
                case "text" -> AccessLogConfig.Format.TEXT;
                case "json" -> AccessLogConfig.Format.JSON;
                default -> {
                    problems.at(formatNode, "format must be text or json, got '" + printable(text) + "'");
                    yield AccessLogConfig.Format.TEXT;
                }
            };
            YamlNode pathNode = s.optional("path");
            String pathText = string(pathNode, "path", null);
            java.nio.file.Path path = null;
            if (pathText != null) {
                if (pathText.isEmpty() || pathText.chars().anyMatch(c -> c < 0x20)) {
                    problems.at(pathNode, "path must be a file name without control characters");
                } else {
                    try {
                        path = java.nio.file.Path.of(pathText);
                    } catch (java.nio.file.InvalidPathException e) {
                        problems.at(pathNode, "path is not a valid file name: " + e.getReason());
                    }
                }
            }
            s.rejectUnknownKeys();
            return new AccessLogConfig(format, path);
        }

        private TracingConfig tracing(Section s) {
            boolean trust = bool(s.optional("trust_incoming"), "trust_incoming", true);
            s.rejectUnknownKeys();
            return new TracingConfig(trust);
        }
    }

    /** The response cache: the top-level {@code cache} store and each route's {@code cache} block. */
    private final class CacheReader {

        private static final long MIN_STORE = 64 * Sizes.KIB;
        private static final long MAX_STORE = 64 * Sizes.GIB;
        private static final Duration MAX_TTL = Duration.ofDays(365);
        private static final Duration MAX_STALE = Duration.ofHours(24);

        private long maxSize;
        private long maxObject;
        private final Map<String, RouteCacheConfig> routes = new LinkedHashMap<>();

        void store(Section s) {
            if (!s.present()) {
                s.rejectUnknownKeys();
                return;
            }
            maxSize = size(s.optional("max_size"), "max_size", MIN_STORE, MAX_STORE, CacheConfig.DEFAULT_MAX_SIZE);
            YamlNode objectNode = s.optional("max_object");
            maxObject = size(objectNode, "max_object", 1, MAX_STORE, Math.min(CacheConfig.DEFAULT_MAX_OBJECT, maxSize));
            if (maxObject > maxSize) {
                problems.at(objectNode, "max_object must not be larger than max_size (" + Sizes.format(maxSize) + ")");
                maxObject = maxSize;
            }
            s.rejectUnknownKeys();
        }

        void route(YamlNode node, String prefix) {
            if (node == null) {
                return;
            }
            if (node.kind() != YamlNode.Kind.MAPPING) {
                typeError(node, "cache", "a mapping (ttl, shared, key_query, coalesce, stale_if_error)");
                return;
            }
            Section s = new Section(node, node.pointer());
            RouteCacheConfig defaults = RouteCacheConfig.defaults();
            Duration ttl = duration(s.optional("ttl"), "ttl", Duration.ZERO, MAX_TTL, defaults.ttl());
            boolean shared = bool(s.optional("shared"), "shared", defaults.shared());
            RouteCacheConfig.QueryKey query = queryKey(s.optional("key_query"));
            boolean coalesce = bool(s.optional("coalesce"), "coalesce", defaults.coalesce());
            Duration stale = duration(s.optional("stale_if_error"), "stale_if_error", Duration.ZERO, MAX_STALE,
                    defaults.staleIfError());
            s.rejectUnknownKeys();
            if (maxSize == 0) {
                problems.at(node, "a route's cache needs the top-level cache section (the store, with max_size)");
                return;
            }
            if (prefix != null && query != null) {
                routes.put(prefix, new RouteCacheConfig(ttl, shared, query, coalesce, stale));
            }
        }

        private RouteCacheConfig.QueryKey queryKey(YamlNode node) {
            if (node == null) {
                return RouteCacheConfig.QueryKey.ALL;
            }
            if (node.kind() == YamlNode.Kind.STRING) {
                switch (node.text()) {
                    case "all":
                        return RouteCacheConfig.QueryKey.ALL;
                    case "none":
                        return RouteCacheConfig.QueryKey.NONE;
                    default:
                        problems.at(node, "key_query must be all, none or a list of query parameter names, got '"
                                + printable(node.text()) + "'");
                        return null;
                }
            }
            if (node.kind() != YamlNode.Kind.LIST) {
                typeError(node, "key_query", "all, none or a list of query parameter names");
                return null;
            }
            List<String> names = new ArrayList<>();
            boolean ok = true;
            for (YamlNode item : node.items()) {
                String name = string(item, "key_query entries", null);
                if (name == null) {
                    ok = false;
                } else if (name.isEmpty() || name.chars().anyMatch(c -> c <= 0x20 || c == '&' || c == '=' || c == '#'
                        || c == 0x7f)) {
                    problems.at(item, "key_query entries must be query parameter names (no spaces, '&', '=' or"
                            + " '#'), got '" + printable(name) + "'");
                    ok = false;
                } else if (names.contains(name)) {
                    problems.at(item, "key_query names '" + printable(name) + "' twice");
                    ok = false;
                } else {
                    names.add(name);
                }
            }
            if (ok && names.isEmpty()) {
                problems.at(node, "key_query must name at least one parameter (or be none)");
                return null;
            }
            return ok ? RouteCacheConfig.QueryKey.listed(names) : null;
        }

        CacheConfig config() {
            return maxSize == 0 ? CacheConfig.NONE : new CacheConfig(maxSize, maxObject, routes);
        }
    }

    /** The top-level {@code upstreams} map: named backend services with their balancing and failure handling. */
    private final class UpstreamsReader {

        private static final Duration MAX_CHECK_INTERVAL = Duration.ofHours(1);
        private static final Duration TEN_MS = Duration.ofMillis(10);
        private static final Duration MAX_CHECK_TIMEOUT = Duration.ofMinutes(1);
        private static final Duration MAX_OPEN_FOR = Duration.ofHours(24);

        /** A route's {@code upstream} that is a plain word, not a URL, names an entry of {@code upstreams}. */
        static boolean isName(YamlNode node) {
            return node.kind() == YamlNode.Kind.STRING && node.text().matches("[A-Za-z0-9_.-]+");
        }

        Map<String, UpstreamConfig> upstreams(Section s) {
            Map<String, UpstreamConfig> upstreams = new java.util.LinkedHashMap<>();
            if (!s.present()) {
                return upstreams;
            }
            for (Map.Entry<String, YamlNode> entry : s.node.entries().entrySet()) {
                String name = entry.getKey();
                YamlNode node = entry.getValue();
                declaredUpstreams.add(name);
                if (!name.matches("[A-Za-z0-9_.-]{1,64}")) {
                    problems.atKey(node, node.pointer(), "upstream name '" + printable(name) + "' must be 1 to 64"
                            + " letters, digits, '_', '-' or '.'");
                    continue;
                }
                if (node.kind() != YamlNode.Kind.MAPPING) {
                    typeError(node, "upstream " + name, "a mapping with targets");
                    continue;
                }
                UpstreamConfig upstream = upstream(name, new Section(node, node.pointer()));
                if (upstream != null) {
                    upstreams.put(name, upstream);
                }
            }
            return upstreams;
        }

        private UpstreamConfig upstream(String name, Section s) {
            List<UpstreamConfig.Target> targets = targets(s.required("targets"));
            UpstreamConfig.Balance balance = balance(s.optional("balance"));
            Section check = s.section("health_check");
            HealthCheckConfig healthCheck = check.present() ? healthCheck(check) : null;
            CircuitBreakerConfig breaker = circuitBreaker(s.section("circuit_breaker"));
            int maxRequests = (int) integer(s.optional("max_requests"), "max_requests", 1, 1_000_000,
                    UpstreamConfig.DEFAULT_MAX_REQUESTS);
            RetryConfig retries = retries(s.section("retries"));
            Section tlsSection = s.section("tls");
            BackendTlsConfig tls = tlsSection.present() ? backendTls(tlsSection) : BackendTlsConfig.DEFAULT;
            s.rejectUnknownKeys();
            if (tlsSection.present() && !targets.isEmpty()
                    && targets.stream().noneMatch(t -> "https".equals(t.url().getScheme()))) {
                problems.at(s.optional("tls"), "tls applies to https:// targets, and upstream '" + printable(name)
                        + "' has none");
            }
            if (targets.isEmpty() || breaker == null || retries == null || tls == null) {
                return null;
            }
            return new UpstreamConfig(name, targets, balance, healthCheck, breaker, maxRequests, retries, false,
                    tls);
        }

        /** {@code tls} of an upstream: {@code ca} read and parsed now, {@code server_name}, {@code verify}. */
        private BackendTlsConfig backendTls(Section s) {
            YamlNode caNode = s.optional("ca");
            YamlNode nameNode = s.optional("server_name");
            String serverName = string(nameNode, "server_name", null);
            if (nameNode != null && serverName != null && !isHostName(serverName)) {
                problems.at(nameNode, "server_name must be a DNS host name like api.internal, got '"
                        + printable(serverName) + "'");
                serverName = null;
            }
            boolean verify = bool(s.optional("verify"), "verify", true);
            s.rejectUnknownKeys();
            if (caNode == null) {
                return new BackendTlsConfig(List.of(), null, serverName, verify);
            }
            java.nio.file.Path caPath = tlsPath(caNode, "ca");
            List<java.security.cert.X509Certificate> ca = pem(caNode, "ca", caPath, PemFiles::certificates);
            return ca == null ? null : new BackendTlsConfig(ca, caPath, serverName, verify);
        }

        private static boolean isHostName(String name) {
            if (name.isEmpty() || name.length() > 253) {
                return false;
            }
            for (String label : name.split("\\.", -1)) {
                if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
                    return false;
                }
                for (int i = 0; i < label.length(); i++) {
                    char c = label.charAt(i);
                    if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
                        return false;
                    }
                }
            }
            return true;
        }

        private List<UpstreamConfig.Target> targets(YamlNode node) {
            if (node == null) {
                return List.of();
            }
            if (node.kind() != YamlNode.Kind.LIST && node.kind() != YamlNode.Kind.STRING) {
                typeError(node, "targets", "a URL or a list of URLs and {url, weight} mappings");
                return List.of();
            }
            List<YamlNode> items = node.kind() == YamlNode.Kind.LIST ? node.items() : List.of(node);
            if (items.isEmpty()) {
                problems.at(node, "targets must list at least one URL");
                return List.of();
            }
            List<UpstreamConfig.Target> targets = new ArrayList<>();
            Map<URI, YamlNode> seen = new HashMap<>();
            boolean ok = true;
            for (YamlNode item : items) {
                YamlNode urlNode = item;
                int weight = 1;
                if (item.kind() == YamlNode.Kind.MAPPING) {
                    Section t = new Section(item, item.pointer());
                    urlNode = t.required("url");
                    weight = (int) integer(t.optional("weight"), "weight", 1, UpstreamConfig.MAX_WEIGHT, 1);
                    t.rejectUnknownKeys();
                }
                String text = urlNode == null ? null : string(urlNode, "target url", null);
                URI url = text == null ? null : upstreamUri(urlNode, text);
                if (url == null) {
                    ok = false;
                    continue;
                }
                YamlNode first = seen.putIfAbsent(url, urlNode);
                if (first != null) {
                    problems.at(urlNode, "target " + url + " is listed twice (first at line " + first.line() + ")");
                    ok = false;
                    continue;
                }
                targets.add(new UpstreamConfig.Target(url, weight));
            }
            return ok ? targets : List.of();
        }

        private UpstreamConfig.Balance balance(YamlNode node) {
            String text = string(node, "balance", "least_request");
            return switch (text) {
                case "least_request" -> UpstreamConfig.Balance.LEAST_REQUEST;
                case "round_robin" -> UpstreamConfig.Balance.ROUND_ROBIN;
                default -> {
                    problems.at(node, "balance must be least_request or round_robin, got '" + printable(text) + "'");
                    yield UpstreamConfig.Balance.LEAST_REQUEST;
                }
            };
        }

        private HealthCheckConfig healthCheck(Section s) {
            YamlNode pathNode = s.optional("path");
            String path = string(pathNode, "path", "/health");
            if (pathNode != null && (!path.startsWith("/") || hasSpaceOrControl(path) || path.contains("#"))) {
                problems.at(pathNode, "health_check path must be a path like /health, got '" + printable(path) + "'");
                path = "/health";
            }
            Duration interval = duration(s.optional("interval"), "interval", TEN_MS, MAX_CHECK_INTERVAL,
                    HealthCheckConfig.DEFAULT_INTERVAL);
            Duration timeout = duration(s.optional("timeout"), "timeout", ONE_MS, MAX_CHECK_TIMEOUT,
                    HealthCheckConfig.DEFAULT_TIMEOUT);
            int healthyAfter = (int) integer(s.optional("healthy_after"), "healthy_after", 1, 100,
                    HealthCheckConfig.DEFAULT_HEALTHY_AFTER);
            int unhealthyAfter = (int) integer(s.optional("unhealthy_after"), "unhealthy_after", 1, 100,
                    HealthCheckConfig.DEFAULT_UNHEALTHY_AFTER);
            int[] expect = expect(s.optional("expect"));
            s.rejectUnknownKeys();
            return new HealthCheckConfig(path, interval, timeout, healthyAfter, unhealthyAfter, expect[0], expect[1]);
        }

        /** {@code NNN-NNN} (or one status), within 100..599. */
        private int[] expect(YamlNode node) {
            int[] fallback = {200, 399};
            if (node == null) {
                return fallback;
            }
            String text = node.text() == null ? "" : node.text().trim();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("([1-5][0-9]{2})(?:-([1-5][0-9]{2}))?")
                    .matcher(text);
            if ((node.kind() != YamlNode.Kind.STRING && node.kind() != YamlNode.Kind.INTEGER) || !m.matches()) {
                problems.at(node, "expect must be a status range NNN-NNN like 200-399, got "
                        + (node.kind() == YamlNode.Kind.STRING ? "'" + printable(text) + "'" : node.describe()));
                return fallback;
            }
            int low = Integer.parseInt(m.group(1));
            int high = m.group(2) == null ? low : Integer.parseInt(m.group(2));
            if (low > high) {
                problems.at(node, "expect range " + text + " is empty: its low end is above its high end");
                return fallback;
            }
            return new int[] {low, high};
        }

        private CircuitBreakerConfig circuitBreaker(Section s) {
            CircuitBreakerConfig d = CircuitBreakerConfig.defaults();
            boolean enabled = bool(s.optional("enabled"), "enabled", true);
            int failures = (int) integer(s.optional("failures"), "failures", 1, 10_000, d.failures());
            Set<Integer> statuses = statuses(s.optional("failure_statuses"), "failure_statuses", 500, 599,
                    d.failureStatuses());
            Duration openFor = duration(s.optional("open_for"), "open_for", ONE_MS, MAX_OPEN_FOR, d.openFor());
            YamlNode maxNode = s.optional("max_open_for");
            Duration maxOpenFor = duration(maxNode, "max_open_for", ONE_MS, MAX_OPEN_FOR,
                    d.maxOpenFor().compareTo(openFor) < 0 ? openFor : d.maxOpenFor());
            int halfOpen = (int) integer(s.optional("half_open_requests"), "half_open_requests", 1, 1000,
                    d.halfOpenRequests());
            s.rejectUnknownKeys();
            if (maxOpenFor.compareTo(openFor) < 0) {
                problems.at(maxNode, "max_open_for (" + Durations.format(maxOpenFor) + ") must not be shorter than"
                        + " open_for (" + Durations.format(openFor) + ")");
                return null;
            }
            return new CircuitBreakerConfig(enabled, failures, statuses, openFor, maxOpenFor, halfOpen);
        }

        private RetryConfig retries(Section s) {
            RetryConfig d = RetryConfig.defaults();
            int attempts = (int) integer(s.optional("attempts"), "attempts", 0, 10, d.attempts());
            YamlNode onNode = s.optional("on");
            Set<RetryConfig.Outcome> on = d.on();
            Set<Integer> onStatuses = d.onStatuses();
            if (onNode != null) {
                on = new java.util.HashSet<>();
                onStatuses = new java.util.HashSet<>();
                List<YamlNode> items = onNode.kind() == YamlNode.Kind.LIST ? onNode.items() : List.of(onNode);
                for (YamlNode item : items) {
                    if (item.kind() == YamlNode.Kind.INTEGER) {
                        onStatuses.addAll(statuses(item, "retries on", 400, 599, Set.of()));
                        continue;
                    }
                    String text = string(item, "retries on entries", "");
                    switch (text) {
                        case "connect_failure" -> on.add(RetryConfig.Outcome.CONNECT_FAILURE);
                        case "reset" -> on.add(RetryConfig.Outcome.RESET);
                        case "timeout" -> on.add(RetryConfig.Outcome.TIMEOUT);
                        default -> {
                            if (item.kind() == YamlNode.Kind.STRING) {
                                problems.at(item, "retries on entries must be connect_failure, reset, timeout or a"
                                        + " status 400-599, got '" + printable(text) + "'");
                            }
                        }
                    }
                }
            }
            int budget = percent(s.optional("budget"), "budget", d.budgetPercent());
            s.rejectUnknownKeys();
            return new RetryConfig(attempts, on, onStatuses, budget);
        }

        /** A percentage: {@code 20%} or {@code 20}, within 0..100. */
        private int percent(YamlNode node, String label, int fallback) {
            if (node == null) {
                return fallback;
            }
            String text = node.text() == null ? "" : node.text().trim();
            if ((node.kind() == YamlNode.Kind.STRING || node.kind() == YamlNode.Kind.INTEGER)
                    && text.matches("[0-9]{1,3}%?")) {
                int value = Integer.parseInt(text.replace("%", ""));
                if (value <= 100) {
                    return value;
                }
            }
            problems.at(node, label + " must be a percentage from 0% to 100%, like 20%, got "
                    + (node.kind() == YamlNode.Kind.STRING ? "'" + printable(text) + "'" : node.describe()));
            return fallback;
        }

        private Set<Integer> statuses(YamlNode node, String label, int min, int max, Set<Integer> fallback) {
            if (node == null) {
                return fallback;
            }
            List<YamlNode> items = node.kind() == YamlNode.Kind.LIST ? node.items() : List.of(node);
            Set<Integer> statuses = new java.util.HashSet<>();
            for (YamlNode item : items) {
                statuses.add((int) integer(item, label + " entries", min, max, min));
            }
            return statuses;
        }
    }

    // Typed values. Each reports its own problem and falls back to the given value, so reading goes on.

    private String string(YamlNode node, String label, String fallback) {
        if (node == null) {
            return fallback;
        }
        if (node.kind() != YamlNode.Kind.STRING) {
            typeError(node, label, "a string");
            return fallback;
        }
        return node.text();
    }

    private long integer(YamlNode node, String label, long min, long max, long fallback) {
        if (node == null) {
            return fallback;
        }
        boolean fromEnvironment = node.kind() == YamlNode.Kind.STRING && node.substituted()
                && node.text().matches("-?[0-9]+");
        if (node.kind() != YamlNode.Kind.INTEGER && !fromEnvironment) {
            typeError(node, label, "a whole number");
            return fallback;
        }
        BigInteger value;
        try {
            value = new BigInteger(node.text());
        } catch (NumberFormatException e) {
            typeError(node, label, "a whole number in decimal");
            return fallback;
        }
        if (value.compareTo(BigInteger.valueOf(min)) < 0 || value.compareTo(BigInteger.valueOf(max)) > 0) {
            boolean hidden = node.substituted() && mayHoldSecrets(node.pointer());
            problems.at(node, label + " must be between " + min + " and " + max
                    + (hidden ? "" : ", got " + shorten(node.text())));
            return fallback;
        }
        return value.longValue();
    }

    private boolean bool(YamlNode node, String label, boolean fallback) {
        if (node == null) {
            return fallback;
        }
        boolean fromEnvironment = node.kind() == YamlNode.Kind.STRING && node.substituted()
                && (node.text().equals("true") || node.text().equals("false"));
        if (node.kind() != YamlNode.Kind.BOOLEAN && !fromEnvironment) {
            typeError(node, label, "true or false");
            return fallback;
        }
        return Boolean.parseBoolean(node.text().toLowerCase(Locale.ROOT));
    }

    private Duration duration(YamlNode node, String label, Duration min, Duration max, Duration fallback) {
        if (node == null) {
            return fallback;
        }
        if (node.kind() == YamlNode.Kind.MAPPING || node.kind() == YamlNode.Kind.LIST
                || node.kind() == YamlNode.Kind.BOOLEAN) {
            typeError(node, label, "a duration like 10s");
            return fallback;
        }
        if (node.kind() == YamlNode.Kind.INVALID) {
            return fallback;
        }
        Duration value;
        try {
            value = Durations.parse(node.text());
        } catch (IllegalArgumentException e) {
            problems.at(node, label + ": " + e.getMessage());
            return fallback;
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            problems.at(node, label + " must be between " + Durations.format(min) + " and " + Durations.format(max)
                    + ", got " + node.text());
            return fallback;
        }
        return value;
    }

    /** A byte count: a whole number, or a number and a binary unit ({@link Sizes}). */
    private long size(YamlNode node, String label, long min, long max, long fallback) {
        if (node == null) {
            return fallback;
        }
        if (node.kind() == YamlNode.Kind.MAPPING || node.kind() == YamlNode.Kind.LIST
                || node.kind() == YamlNode.Kind.BOOLEAN) {
            typeError(node, label, "a size like 16KiB");
            return fallback;
        }
        if (node.kind() == YamlNode.Kind.INVALID) {
            return fallback;
        }
        long value;
        try {
            value = Sizes.parse(node.text());
        } catch (IllegalArgumentException e) {
            problems.at(node, label + ": " + e.getMessage());
            return fallback;
        }
        if (value < min || value > max) {
            problems.at(node, label + " must be between " + Sizes.format(min) + " and " + Sizes.format(max)
                    + ", got " + node.text());
            return fallback;
        }
        return value;
    }

    /** A list of strings; a single string counts as a list of one. */
    private List<String> strings(YamlNode node, String label, List<String> fallback,
            BiConsumer<YamlNode, String> check) {
        if (node == null) {
            return fallback;
        }
        List<YamlNode> items = node.kind() == YamlNode.Kind.LIST ? node.items() : List.of(node);
        List<String> values = new ArrayList<>();
        for (YamlNode item : items) {
            String value = string(item, label + " entries", null);
            if (value != null) {
                check.accept(item, value);
                values.add(value);
            }
        }
        return values;
    }

    private BiConsumer<YamlNode, String> tokenCheck(String label, String what) {
        return (node, value) -> {
            if (!isToken(value)) {
                problems.at(node, label + " entries must each be " + what + " (letters, digits and"
                        + " !#$%&'*+-.^_`|~), got '" + printable(value) + "'");
            }
        };
    }

    private void typeError(YamlNode node, String label, String expected) {
        if (node.kind() != YamlNode.Kind.INVALID) {
            problems.at(node, label + " must be " + expected + ", got " + node.describe());
        }
    }

    /** The mapping keys of one section: hands out values, and reports keys that were never asked for. */
    private final class Section {

        private final YamlNode node;
        private final String pointer;
        private final Set<String> known = new LinkedHashSet<>();

        /** {@code node} is a mapping, or null for a section that is absent and takes every default. */
        Section(YamlNode node, String pointer) {
            this.node = node;
            this.pointer = pointer;
        }

        /** Whether the mapping was given (and is a mapping). */
        boolean present() {
            return node != null;
        }

        /** A child mapping; absent, empty ({@code server:}) or of the wrong type, it takes every default. */
        Section section(String key) {
            YamlNode child = optional(key);
            if (child == null) {
                return new Section(null, pointer + "/" + key);
            }
            if (child.kind() != YamlNode.Kind.MAPPING) {
                typeError(child, key, "a mapping");
                return new Section(null, child.pointer());
            }
            return new Section(child, child.pointer());
        }

        /** The value of an optional key; null when absent or empty, so that the default applies. */
        YamlNode optional(String key) {
            known.add(key);
            YamlNode child = node == null ? null : node.entries().get(key);
            return child == null || child.kind() == YamlNode.Kind.NULL ? null : child;
        }

        /** The value of a required key; null, with a problem at this mapping, when absent or empty. */
        YamlNode required(String key) {
            known.add(key);
            YamlNode child = node == null ? null : node.entries().get(key);
            if (child == null) {
                if (node != null) {
                    problems.add(node.line(), node.column(), pointer + "/" + YamlNode.escape(key),
                            "missing required key '" + key + "'");
                }
                return null;
            }
            if (child.kind() == YamlNode.Kind.NULL) {
                problems.at(child, key + " must not be empty");
                return null;
            }
            return child;
        }

        void rejectUnknownKeys() {
            if (node == null) {
                return;
            }
            for (Map.Entry<String, YamlNode> entry : node.entries().entrySet()) {
                String key = entry.getKey();
                if (known.contains(key)) {
                    continue;
                }
                String shown = keyForMessage(pointer, key, known);
                String suggestion = closest(key);
                if (shown == null) {
                    problems.atKey(entry.getValue(), pointer,
                            "unknown key (not shown: it could be an API key); allowed keys are " + join(known));
                } else if (suggestion != null) {
                    problems.atKey(entry.getValue(), entry.getValue().pointer(),
                            "unknown key '" + shown + "'; did you mean '" + suggestion + "'?");
                } else {
                    problems.atKey(entry.getValue(), entry.getValue().pointer(),
                            "unknown key '" + shown + "'; allowed keys are " + join(known));
                }
            }
        }

        private String closest(String key) {
            for (String candidate : known) {
                if (isNearMiss(candidate, key)) {
                    return candidate;
                }
            }
            return null;
        }
    }

    // Character rules.

    /** RFC 9110 tchar: the characters of a method or header name. */
    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(isAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0)) {
                return false;
            }
        }
        return true;
    }

    private static boolean isNameChar(int c) {
        return isAsciiLetterOrDigit(c) || "-_.:@".indexOf(c) >= 0;
    }

    /** RFC 3986 pchar and '/', without '%' (prefixes match decoded-as-sent paths) and ';' (path parameters). */
    private static boolean isPathChar(char c) {
        return isAsciiLetterOrDigit(c) || "/-._~!$&'()*+,=:@".indexOf(c) >= 0;
    }

    private static boolean isAsciiLetterOrDigit(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private static boolean hasSpaceOrControl(String s) {
        return s.chars().anyMatch(c -> c <= 0x20 || c == 0x7f);
    }

    private static String describeChar(char c) {
        if (c == ' ') {
            return "spaces";
        }
        if (c < 0x20 || c == 0x7f) {
            return "control characters";
        }
        if (c > 0x7e) {
            return "non-ASCII characters (percent-encoding is not supported in prefixes)";
        }
        return "'" + c + "'";
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        s.chars().forEach(c -> out.append(c < 0x20 || c == 0x7f ? "\\u" + String.format("%04x", c) : (char) c));
        return shorten(out.toString());
    }

    private static String shorten(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }

    private static String parentOf(String pointer) {
        return pointer.substring(0, pointer.lastIndexOf('/'));
    }

    private static String join(Collection<String> keys) {
        return String.join(", ", keys);
    }

    /** A typo of {@code known}: one edit (two for longer keys), '-' for '_' and case ignored. */
    private static boolean isNearMiss(String known, String key) {
        int distance = editDistance(known, key.toLowerCase(Locale.ROOT).replace('-', '_'));
        return distance == 0 || distance == 1 || (distance == 2 && known.length() >= 6);
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
    private static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
