/**
 * Forwarding: the last client-side handler, the backend call that streams a request and its response with
 * backpressure both ways, the per-event-loop backend connection pools, and the hop-by-hop header rules.
 */
package io.gatehouse.proxy;
