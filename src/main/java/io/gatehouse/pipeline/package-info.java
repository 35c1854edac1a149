/**
 * What runs for each request: the filters of the request path (framing, CORS preflight, health, routing, API-key
 * auth, body limit, rate limit), {@link io.gatehouse.pipeline.Filters}, which compiles them into each snapshot's
 * chains, and the {@link io.gatehouse.pipeline.ResponseFinisher} that decorates and logs every response.
 */
package io.gatehouse.pipeline;
