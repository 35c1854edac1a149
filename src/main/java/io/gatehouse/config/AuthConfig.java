package io.gatehouse.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Authentication: the header that carries an API key, the keys that are accepted, and the JWT providers whose
 * bearer tokens are accepted (by name, in config order).
 */
public record AuthConfig(String header, List<ApiKeyConfig> keys, Map<String, JwtProviderConfig> jwt) {

    public static final String DEFAULT_HEADER = "X-API-Key";

    public AuthConfig {
        Objects.requireNonNull(header, "header");
        keys = List.copyOf(keys);
        jwt = Collections.unmodifiableMap(new LinkedHashMap<>(jwt));
    }

    /** API keys only. */
    public AuthConfig(String header, List<ApiKeyConfig> keys) {
        this(header, keys, Map.of());
    }

    /** The default header and no keys: every route with {@code auth: api_key} answers 401. */
    public static AuthConfig defaults() {
        return new AuthConfig(DEFAULT_HEADER, List.of(), Map.of());
    }
}
