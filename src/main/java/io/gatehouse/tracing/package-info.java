/**
 * W3C trace context propagation: {@link io.gatehouse.tracing.TraceParent} continues a valid incoming
 * {@code traceparent} with the gateway's own span id, or starts a new trace. Propagation only — no spans are
 * recorded or exported (an OTLP exporter would take the ids from here). Plain Java, no Netty.
 */
package io.gatehouse.tracing;
