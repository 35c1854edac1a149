package io.gatehouse.admin;

import io.gatehouse.config.AdminConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.concurrent.GlobalEventExecutor;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The admin listener: its own socket, on an event loop group of its own (so a scrape never takes time from the
 * client connections' loops), with a pipeline of codec, a small aggregator and {@link AdminHandler}. Nothing of the
 * client pipeline runs here, and nothing here is reachable from the client port.
 */
public final class AdminServer implements AutoCloseable {

    /** Admin requests are small: a head, no body worth having. */
    private static final int MAX_REQUEST = 8 * 1024;
    private static final int IDLE_SECONDS = 60;

    private final Channel channel;
    private final ChannelGroup connections = new DefaultChannelGroup("admin", GlobalEventExecutor.INSTANCE);

    private AdminServer(AdminConfig config, EventLoopGroup group, Class<? extends ServerChannel> channelClass,
                        AdminState state) throws InterruptedException {
        AdminHandler handler = new AdminHandler(state);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(channelClass)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        connections.add(ch);
                        ch.pipeline()
                                .addLast("idle", new ReadTimeoutHandler(IDLE_SECONDS, TimeUnit.SECONDS))
                                .addLast("codec", new HttpServerCodec(4096, MAX_REQUEST, MAX_REQUEST))
                                .addLast("aggregate", new HttpObjectAggregator(MAX_REQUEST))
                                .addLast("admin", handler);
                    }
                });
        this.channel = bootstrap.bind(config.host(), config.port()).sync().channel();
    }

    /** Binds {@code config.host():config.port()}; call off the event loops. */
    public static AdminServer start(AdminConfig config, EventLoopGroup group,
                                    Class<? extends ServerChannel> channelClass, AdminState state)
            throws InterruptedException {
        return new AdminServer(config, group, channelClass, state);
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
