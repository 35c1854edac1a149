package io.gatehouse.config;

import java.util.Objects;

/**
 * What operators run the gateway with, beside the request path: the admin listener, the access log, trace context,
 * and the SHA-256 of the YAML text the config was read from ({@code /config} shows it). One component of
 * {@link GatewayConfig}, read from the top-level sections {@code admin}, {@code access_log} and {@code tracing}.
 *
 * @param sourceSha256 lower-case hex SHA-256 of the YAML text as written (before {@code ${NAME}} substitution), or
 *                     null when the config was not read from text
 */
public record OperationsConfig(AdminConfig admin, AccessLogConfig accessLog, TracingConfig tracing,
                               String sourceSha256) {

    public OperationsConfig {
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(accessLog, "accessLog");
        Objects.requireNonNull(tracing, "tracing");
    }

    public static OperationsConfig defaults() {
        return new OperationsConfig(AdminConfig.disabled(), AccessLogConfig.defaults(), TracingConfig.defaults(),
                null);
    }

    /**
     * Equal settings are equal configs, whatever text they were read from: the SHA-256 identifies the source, it is
     * not a setting (and a test comparing a parsed config with one built in code should not see it).
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof OperationsConfig o && admin.equals(o.admin) && accessLog.equals(o.accessLog)
                && tracing.equals(o.tracing);
    }

    @Override
    public int hashCode() {
        return Objects.hash(admin, accessLog, tracing);
    }

    public OperationsConfig withSourceSha256(String sha256) {
        return new OperationsConfig(admin, accessLog, tracing, sha256);
    }
}
