package io.gatehouse.config;

import java.util.Objects;

/**
 * The operators' listener: {@code /metrics}, {@code /ready}, {@code /live}, {@code /config}. Absent (no port) means
 * no admin listener at all.
 *
 * @param host address to bind, loopback unless the operator chooses otherwise
 * @param port 0..65535 (0 picks a free port), or {@link #DISABLED} for no listener
 */
public record AdminConfig(String host, int port) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DISABLED = -1;

    public AdminConfig {
        Objects.requireNonNull(host, "host");
        if (port < DISABLED || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
    }

    public static AdminConfig disabled() {
        return new AdminConfig(DEFAULT_HOST, DISABLED);
    }

    public boolean enabled() {
        return port != DISABLED;
    }
}
