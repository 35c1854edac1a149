/**
 * One channel handler per concern on the client side of the pipeline: request IDs, access log, framing checks,
 * CORS, health, routing, API-key auth and rate limiting. The order is set in {@code ClientChannelInitializer}.
 */
package io.gatehouse.pipeline;
