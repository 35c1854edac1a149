package io.gatehouse.config;

import java.util.List;
import java.util.Objects;

/**
 * Who may use a route besides its {@code auth} mode: the JWT providers whose tokens it accepts, and the client
 * addresses it admits ({@code allow_ips}; empty for any) and refuses ({@code deny_ips}, which wins).
 *
 * @param jwtProviders the providers of {@code auth.jwt} this route accepts, in order; empty without JWT
 * @param allowIps     when not empty, only client IPs in it get past the IP rules
 * @param denyIps      client IPs refused even when allowed
 */
public record RouteAccessConfig(List<String> jwtProviders, IpRanges allowIps, IpRanges denyIps) {

    public static final RouteAccessConfig DEFAULT = new RouteAccessConfig(List.of(), IpRanges.NONE, IpRanges.NONE);

    public RouteAccessConfig {
        jwtProviders = List.copyOf(jwtProviders);
        Objects.requireNonNull(allowIps, "allowIps");
        Objects.requireNonNull(denyIps, "denyIps");
    }

    /** Whether the route checks client IPs at all. */
    public boolean checksIps() {
        return !allowIps.isEmpty() || !denyIps.isEmpty();
    }
}
