package io.gatehouse.server;

import io.gatehouse.auth.ApiKeys;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.pipeline.CorsPolicy;
import io.gatehouse.routing.RouteTable;

/**
 * A validated {@link GatewayConfig} compiled into the objects the request path uses. Built off the event loops and
 * published as a whole; each request takes one snapshot when its head arrives and keeps it to the end.
 */
public record RuntimeConfig(GatewayConfig config, RouteTable routes, ApiKeys apiKeys, CorsPolicy cors) {

    public static RuntimeConfig compile(GatewayConfig config) {
        return new RuntimeConfig(
                config,
                RouteTable.of(config.routes()),
                ApiKeys.of(config.auth().keys()),
                new CorsPolicy(config.cors()));
    }
}
