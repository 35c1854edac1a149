package io.gatehouse.ratelimit;

import io.gatehouse.auth.ApiClient;
import io.gatehouse.config.ApiKeyConfig;
import io.gatehouse.config.JwtProviderConfig;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.config.RateLimitConfig;
import io.gatehouse.config.RateLimitPolicyConfig;
import io.gatehouse.config.RouteRateLimitConfig;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which policies apply to whom, compiled once per config snapshot: each key's own (its {@code default} policy
 * from {@code rate_limit: N}, then its named ones, in the order written), with a route's policies stacked on top;
 * and the policies of an {@code auth: none} route's per-IP limit. Every list is built here, so the request path only
 * looks one up.
 */
public final class RateLimitPolicies {

    private final RateLimitConfig config;
    private final Map<String, List<RateLimitPolicyConfig>> byClient;
    private final Set<RateLimitPolicyConfig> all;

    private RateLimitPolicies(GatewayConfig gateway) {
        this.config = gateway.rateLimit();
        Map<String, List<RateLimitPolicyConfig>> clients = new HashMap<>();
        Set<RateLimitPolicyConfig> every = new LinkedHashSet<>(config.policies().values());
        for (ApiKeyConfig key : gateway.auth().keys()) {
            List<RateLimitPolicyConfig> own = new ArrayList<>();
            if (key.rateLimit() > 0) {
                own.add(RateLimitPolicyConfig.defaultPolicy(key.rateLimit(), config.window()));
            }
            for (String name : key.policies()) {
                own.add(config.policy(name));
            }
            every.addAll(own);
            clients.put(key.name(), List.copyOf(own));
        }
        // Every client of a JWT provider has the provider's limit, counted per identity.
        for (JwtProviderConfig provider : gateway.auth().jwt().values()) {
            List<RateLimitPolicyConfig> own = provider.rateLimit() > 0
                    ? List.of(RateLimitPolicyConfig.defaultPolicy(provider.rateLimit(), config.window())) : List.of();
            every.addAll(own);
            clients.put(ApiClient.policyKey(provider.name()), own);
        }
        this.byClient = Map.copyOf(clients);
        this.all = Set.copyOf(every);
    }

    public static RateLimitPolicies of(GatewayConfig config) {
        return new RateLimitPolicies(config);
    }

    /** Every policy some client or route uses, for {@link RateLimiter#retain} after a reload. */
    public Set<RateLimitPolicyConfig> all() {
        return all;
    }

    /**
     * Per client name, the policies a request on a route with {@code route}'s own policies must fit: the client's,
     * then the route's that the client does not already have. A client that is not listed has the route's alone.
     */
    public ClientPolicies forClients(RouteRateLimitConfig route) {
        List<RateLimitPolicyConfig> extra = route.policies().stream().map(config::policy).toList();
        if (extra.isEmpty()) {
            return new ClientPolicies(byClient, List.of());
        }
        Map<String, List<RateLimitPolicyConfig>> merged = new HashMap<>();
        byClient.forEach((name, own) -> merged.put(name, stack(own, extra)));
        return new ClientPolicies(Map.copyOf(merged), extra);
    }

    /** The policies of {@code route}'s per-IP limit: its {@code rate_limit_by_ip} policy, then its own. */
    public List<RateLimitPolicyConfig> forIp(RouteRateLimitConfig route) {
        List<RateLimitPolicyConfig> extra = route.policies().stream().map(config::policy).toList();
        return stack(List.of(config.policy(route.byIp())), extra);
    }

    private static List<RateLimitPolicyConfig> stack(List<RateLimitPolicyConfig> own,
            List<RateLimitPolicyConfig> extra) {
        List<RateLimitPolicyConfig> all = new ArrayList<>(own);
        for (RateLimitPolicyConfig policy : extra) {
            if (all.stream().noneMatch(p -> p.name().equals(policy.name()))) {
                all.add(policy);
            }
        }
        return List.copyOf(all);
    }

    /** The policies of each client on one route. */
    public static final class ClientPolicies {
        private final Map<String, List<RateLimitPolicyConfig>> byClient;
        private final List<RateLimitPolicyConfig> unlisted;

        ClientPolicies(Map<String, List<RateLimitPolicyConfig>> byClient, List<RateLimitPolicyConfig> unlisted) {
            this.byClient = byClient;
            this.unlisted = unlisted;
        }

        /** The policies for the client named {@code name}; empty when none applies. */
        public List<RateLimitPolicyConfig> of(String name) {
            return byClient.getOrDefault(name, unlisted);
        }
    }
}
