package io.gatehouse.pipeline;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Lets a handler that answered a request itself drop the rest of that request's body: every later
 * {@link HttpContent} up to and including the {@link LastHttpContent} is released and goes no further.
 * <p>
 * A new request head also ends the discarding: the connection handler reads one request at a time and may itself
 * swallow the rest of an early-answered body, so that this handler never sees its {@link LastHttpContent}.
 */
final class RequestDiscarder {

    private boolean discarding;

    /** Call when the handler has answered a request whose body may still follow. */
    void start(Object request) {
        discarding = !(request instanceof LastHttpContent);
    }

    /** Releases {@code msg} and returns true when it belongs to a request being discarded. */
    boolean discard(Object msg) {
        if (msg instanceof HttpRequest) {
            discarding = false;
            return false;
        }
        if (!discarding || !(msg instanceof HttpContent)) {
            return false;
        }
        if (msg instanceof LastHttpContent) {
            discarding = false;
        }
        ReferenceCountUtil.release(msg);
        return true;
    }

    /**
     * The handler answered {@code request} itself: release it and discard the rest of its body. The one call every
     * early answer makes before writing its response.
     */
    void drop(Object request) {
        start(request);
        ReferenceCountUtil.release(request);
    }
}
