/**
 * The gateway's Prometheus metrics: {@link io.gatehouse.metrics.GatewayMetrics} owns the registry and every family,
 * and hands out pre-resolved handles ({@link io.gatehouse.metrics.RouteMetrics} per route,
 * {@link io.gatehouse.metrics.TargetMetrics} per upstream target) so that recording on the request path is a few
 * atomic adds. Labels come only from names in the config and small fixed sets. No Netty.
 */
package io.gatehouse.metrics;
