package io.gatehouse.config;

import java.util.Objects;

/** One accepted API key, the client name it stands for and that client's request budget per window. */
public record ApiKeyConfig(String key, String name, long rateLimit) {

    public ApiKeyConfig {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(name, "name");
        if (rateLimit < 1) {
            throw new IllegalArgumentException("rateLimit must be positive: " + rateLimit);
        }
    }

    /** Never prints the key: configs end up in logs and exception messages. */
    @Override
    public String toString() {
        return "ApiKeyConfig[name=" + name + ", rateLimit=" + rateLimit + "]";
    }
}
