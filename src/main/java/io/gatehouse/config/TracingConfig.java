package io.gatehouse.config;

/**
 * W3C trace context propagation.
 *
 * @param trustIncoming continue a valid incoming {@code traceparent}; false starts a new trace for every request
 */
public record TracingConfig(boolean trustIncoming) {

    public static TracingConfig defaults() {
        return new TracingConfig(true);
    }
}
