package io.gatehouse.config;

import java.util.List;

/** API-key authentication: the header that carries the key and the keys that are accepted. */
public record AuthConfig(String header, List<ApiKeyConfig> keys) {

    public AuthConfig {
        keys = List.copyOf(keys);
    }
}
