/**
 * Backend services as the gateway sees them: an {@link io.gatehouse.upstream.Upstream} of
 * {@link io.gatehouse.upstream.Endpoint}s with their health and circuit-breaker state, the balancer that picks one
 * per attempt, and the retry budget. Plain Java with an injected clock, no Netty: shared by every event loop and
 * lock-free on the request path.
 */
package io.gatehouse.upstream;
