package io.gatehouse.pipeline;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Lets a handler that answered a request itself drop the rest of that request's body: every later
 * {@link HttpContent} up to and including the {@link LastHttpContent} is released and goes no further.
 */
final class RequestDiscarder {

    private boolean discarding;

    /** Call when the handler has answered a request whose body may still follow. */
    void start(Object request) {
        discarding = !(request instanceof LastHttpContent);
    }

    /** Releases {@code msg} and returns true when it belongs to a request being discarded. */
    boolean discard(Object msg) {
        if (!discarding || !(msg instanceof HttpContent)) {
            return false;
        }
        if (msg instanceof LastHttpContent) {
            discarding = false;
        }
        ReferenceCountUtil.release(msg);
        return true;
    }

    void reset() {
        discarding = false;
    }
}
