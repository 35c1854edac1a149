package io.gatehouse.server;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;

/**
 * One listening socket for clients and the connections it accepted. The gateway has one; a reload that changes
 * {@code server.host} or {@code server.port} binds a new one first, and then retires this one: from then on every
 * response on its connections carries {@code Connection: close} (so a keep-alive client reconnects, to the new
 * address, after its current request), and a little later it stops accepting. Its connections finish what they are
 * doing; one that stays idle is closed by the keep-alive timeout like any other, or at the drain deadline.
 */
final class ClientListener {

    private final String host;
    private final ChannelGroup connections = new DefaultChannelGroup("listener", GlobalEventExecutor.INSTANCE);
    private volatile Channel channel;
    private volatile boolean retired;

    ClientListener(String host) {
        this.host = host;
    }

    void bound(Channel serverChannel) {
        this.channel = serverChannel;
    }

    /** A connection this listener accepted. */
    void accepted(Channel connection) {
        connections.add(connection);
    }

    ChannelGroup connections() {
        return connections;
    }

    /** Whether a newer listener took over: this one's connections close after their current response. */
    boolean retired() {
        return retired;
    }

    void retire() {
        retired = true;
    }

    String host() {
        return host;
    }

    int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Stops accepting; the connections already accepted stay. */
    void stopAccepting() {
        Channel current = channel;
        if (current != null && current.isOpen()) {
            current.close().awaitUninterruptibly();
        }
    }

    @Override
    public String toString() {
        return host + ":" + (channel == null ? "-" : Integer.toString(port()));
    }
}
