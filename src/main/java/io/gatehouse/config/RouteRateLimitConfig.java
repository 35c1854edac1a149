package io.gatehouse.config;

import java.util.List;

/**
 * A route's own rate limiting: named policies added on top of the client's, and on an {@code auth: none} route the
 * policy that limits each client IP. Kept in {@link RateLimitConfig#routes()} by route prefix.
 *
 * @param policies names of policies from {@code rate_limit.policies}, in the order written
 * @param byIp     the policy that limits each client IP ({@code rate_limit_by_ip}), or null
 */
public record RouteRateLimitConfig(List<String> policies, String byIp) {

    public static final RouteRateLimitConfig NONE = new RouteRateLimitConfig(List.of(), null);

    public RouteRateLimitConfig {
        policies = List.copyOf(policies);
    }

    public boolean isEmpty() {
        return policies.isEmpty() && byIp == null;
    }
}
