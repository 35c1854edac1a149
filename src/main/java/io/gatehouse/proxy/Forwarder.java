package io.gatehouse.proxy;

import io.gatehouse.exchange.Exchange;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;

/**
 * Where the exchange handler sends a request that passed its filters: {@link BackendForwarder} in the gateway; in
 * tests of the handler, anything that records or passes requests on. One per client connection, used on its event
 * loop only.
 */
public interface Forwarder {

    /** Whether a request is still being forwarded: its response not yet relayed to its end. */
    boolean busy();

    /**
     * Forwards {@code request}, whose head passed every filter. {@code complete}: the client's request had ended
     * already (no body), so it goes as one message and no body follows; otherwise its body follows through
     * {@link #content}, up to a {@code LastHttpContent}.
     */
    void forward(Exchange exchange, HttpRequest request, boolean complete);

    /** The next piece of the current request's body; the forwarder owns it. */
    void content(HttpContent content);

    /** The gateway gave up on the current request and answers the client itself: drop what was forwarded. */
    void abandon();

    /** The client connection's writability changed: a paused response may go on. */
    void clientWritabilityChanged();

    /** The client connection closed. */
    void clientClosed();
}
