package io.gatehouse.proxy;

import io.gatehouse.exchange.Exchange;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;

/**
 * Forwards a client connection's requests, one at a time, each through a {@link BackendCall} to its route's
 * backend. Owned by the connection's exchange handler, whose context the calls use to read the client and to
 * write the response; confined to that connection's event loop.
 */
public final class BackendForwarder implements Forwarder {

    private final BackendPools pools;
    private final ChannelHandlerContext client;
    private final BackendTimer timer;
    private BackendCall call;
    /** Made once per connection: the address text is the same for every request on it. */
    private String clientAddress;

    public BackendForwarder(BackendPools pools, ChannelHandlerContext client) {
        this.pools = pools;
        this.client = client;
        this.timer = new BackendTimer(client.executor());
    }

    @Override
    public boolean busy() {
        return call != null && !call.done();
    }

    @Override
    public void forward(Exchange exchange, HttpRequest request, boolean complete) {
        if (clientAddress == null) {
            clientAddress = BackendCall.peerAddress(client.channel().remoteAddress());
        }
        call = new BackendCall(client, clientAddress, exchange, request, pools, timer, complete);
        call.start();
    }

    @Override
    public void content(HttpContent content) {
        if (call != null) {
            call.onClientContent(content);
        } else {
            content.release();
        }
    }

    @Override
    public void abandon() {
        if (call != null) {
            call.abandon();
        }
    }

    @Override
    public void clientWritabilityChanged() {
        if (call != null) {
            call.onClientWritabilityChanged();
        }
    }

    @Override
    public void clientClosed() {
        if (call != null) {
            call.onClientClosed();
        }
        timer.stop();
    }
}
