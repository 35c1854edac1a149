package io.gatehouse.proxy;

import io.gatehouse.exchange.Exchange;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;

/**
 * Forwards a client connection's requests, one at a time, each through an {@link UpstreamRequest} to its route's
 * upstream. Owned by the connection's exchange handler, whose context the calls use to read the client and to
 * write the response; confined to that connection's event loop.
 */
public final class BackendForwarder implements Forwarder {

    private final BackendPools pools;
    private final ChannelHandlerContext client;
    private final BackendTimer timer;
    private final ClientSwitch clientSwitch;
    private UpstreamRequest upstreamRequest;
    /** Made once per connection: the address text is the same for every request on it. */
    private String clientAddress;
    /** Whether the client connection is TLS, for {@code X-Forwarded-Proto}; known at the first request. */
    private boolean secure;

    /** @param clientSwitch how the client connection becomes a tunnel when a WebSocket upgrade succeeds */
    public BackendForwarder(BackendPools pools, ChannelHandlerContext client, ClientSwitch clientSwitch) {
        this.pools = pools;
        this.clientSwitch = clientSwitch;
        this.client = client;
        this.timer = new BackendTimer(client.executor());
    }

    @Override
    public boolean busy() {
        return upstreamRequest != null && !upstreamRequest.done();
    }

    @Override
    public void forward(Exchange exchange, HttpRequest request, boolean complete) {
        if (clientAddress == null) {
            clientAddress = UpstreamRequest.peerAddress(client.channel().remoteAddress());
            // An HTTP/2 stream's TLS is its connection's, its parent (an accepted socket's parent is the listener).
            io.netty.channel.Channel parent = client.channel().parent();
            secure = client.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null
                    || parent != null && parent.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null;
        }
        upstreamRequest = new UpstreamRequest(client, clientAddress, secure, exchange, request, pools, timer,
                complete, clientSwitch);
        upstreamRequest.start();
    }

    @Override
    public void content(HttpContent content) {
        if (upstreamRequest != null) {
            upstreamRequest.onClientContent(content);
        } else {
            content.release();
        }
    }

    @Override
    public void abandon() {
        if (upstreamRequest != null) {
            upstreamRequest.abandon();
        }
    }

    @Override
    public void clientWritabilityChanged() {
        if (upstreamRequest != null) {
            upstreamRequest.onClientWritabilityChanged();
        }
    }

    @Override
    public void clientClosed() {
        if (upstreamRequest != null) {
            upstreamRequest.onClientClosed();
        }
        timer.stop();
    }
}
