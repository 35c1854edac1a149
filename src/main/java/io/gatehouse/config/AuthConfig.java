package io.gatehouse.config;

import java.util.List;
import java.util.Objects;

/** API-key authentication: the header that carries the key and the keys that are accepted. */
public record AuthConfig(String header, List<ApiKeyConfig> keys) {

    public static final String DEFAULT_HEADER = "X-API-Key";

    public AuthConfig {
        Objects.requireNonNull(header, "header");
        keys = List.copyOf(keys);
    }

    /** The default header and no keys: every route with {@code auth: api_key} answers 401. */
    public static AuthConfig defaults() {
        return new AuthConfig(DEFAULT_HEADER, List.of());
    }
}
