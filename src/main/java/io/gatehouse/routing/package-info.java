/**
 * Routing: request-target normalisation ({@link io.gatehouse.routing.RequestTarget}) and the route table that picks
 * a {@link io.gatehouse.routing.Route} by longest prefix on whole path segments. Plain Java, no Netty.
 */
package io.gatehouse.routing;
