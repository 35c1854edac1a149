package io.gatehouse.config;

import java.time.Duration;
import java.util.Objects;

/**
 * The Redis server that holds shared rate-limit counters ({@code rate_limit.redis}), parsed from
 * {@code redis[s]://[[user]:password@]host[:port][/database]}.
 *
 * <p>The password is a secret: {@link #toString()} and {@link #safeUrl()} never show it.
 *
 * @param host      host name or address
 * @param port      1..65535, 6379 by default
 * @param database  the logical database ({@code SELECT}), 0 by default; Redis Cluster only has 0
 * @param tls       {@code rediss://}: TLS, with the server certificate checked against the JVM's trust store
 * @param username  the ACL user, or null for the default user
 * @param password  the password, or null when Redis needs none
 * @param timeout   the longest a request waits for Redis before {@link #onFailure} applies
 * @param onFailure what to do while Redis cannot answer within {@link #timeout}
 * @param cluster   {@code cluster: true}: {@link #host}:{@link #port} is one seed node of a Redis Cluster, whose
 *                  topology is discovered from it; the database must then be 0
 */
public record RedisConfig(String host, int port, int database, boolean tls, String username, String password,
                          Duration timeout, RedisFailureMode onFailure, boolean cluster) {

    public static final int DEFAULT_PORT = 6379;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(50);
    public static final RedisFailureMode DEFAULT_ON_FAILURE = RedisFailureMode.LOCAL;

    public RedisConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(onFailure, "onFailure");
        if (host.isEmpty()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be in 1..65535: " + port);
        }
        if (database < 0) {
            throw new IllegalArgumentException("database must not be negative: " + database);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        if (username != null && password == null) {
            throw new IllegalArgumentException("a username needs a password");
        }
        if (cluster && database != 0) {
            throw new IllegalArgumentException("Redis Cluster has only database 0: " + database);
        }
    }

    /** A single Redis (not a Cluster). */
    public RedisConfig(String host, int port, int database, boolean tls, String username, String password,
            Duration timeout, RedisFailureMode onFailure) {
        this(host, port, database, tls, username, password, timeout, onFailure, false);
    }

    /** A password-free Redis on {@code host:port}, database 0, with the default timeout and failure mode. */
    public static RedisConfig of(String host, int port) {
        return new RedisConfig(host, port, 0, false, null, null, DEFAULT_TIMEOUT, DEFAULT_ON_FAILURE);
    }

    public RedisConfig withTimeout(Duration newTimeout) {
        return new RedisConfig(host, port, database, tls, username, password, newTimeout, onFailure, cluster);
    }

    public RedisConfig withOnFailure(RedisFailureMode mode) {
        return new RedisConfig(host, port, database, tls, username, password, timeout, mode, cluster);
    }

    /** The same settings, with {@code host:port} a Redis Cluster seed node ({@code true}) or a single Redis. */
    public RedisConfig withCluster(boolean isCluster) {
        return new RedisConfig(host, port, database, tls, username, password, timeout, onFailure, isCluster);
    }

    /** The URL for logs and messages: the password, if any, is shown as {@code ***}. */
    public String safeUrl() {
        String auth = password == null ? "" : (username == null ? "" : username) + ":***@";
        String shownHost = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return (tls ? "rediss://" : "redis://") + auth + shownHost + ":" + port + "/" + database;
    }

    @Override
    public String toString() {
        return "RedisConfig[url=" + safeUrl() + ", cluster=" + cluster + ", timeout=" + timeout + ", onFailure="
                + onFailure + "]";
    }
}
