package io.gatehouse.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.gatehouse.server.ReadOnDemandHandler;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive connections to one backend from one event loop. Only that loop touches it, so it has no locks; a
 * connection is handed out last-in first-out (the warmest first) and comes back only when its exchange ended clean.
 * At most {@code maxIdle} idle connections are kept; an idle one is closed after the idle timeout, and a pooled
 * connection keeps a read pending so that a close by the backend is noticed at once.
 */
final class BackendPool {

    private final EventLoop loop;
    private final BackendAddress address;
    private final Bootstrap bootstrap;
    private final int maxIdle;
    private final ArrayDeque<Channel> idle = new ArrayDeque<>();

    BackendPool(EventLoop loop, BackendAddress address, Bootstrap template, int maxIdle, long idleTimeoutNanos) {
        this.loop = loop;
        this.address = address;
        this.maxIdle = maxIdle;
        BackendPool pool = this;
        this.bootstrap = template.clone(loop)
                .remoteAddress(address.host(), address.port())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline()
                                .addLast("codec", new BackendCodec(new HttpDecoderConfig()
                                        .setMaxInitialLineLength(16 * 1024)
                                        .setMaxHeaderSize(64 * 1024)
                                        .setMaxChunkSize(64 * 1024)
                                        .setAllowDuplicateContentLengths(false)))
                                .addLast("flow", new ReadOnDemandHandler())
                                .addLast("idle", new IdleStateHandler(0, 0, idleTimeoutNanos, TimeUnit.NANOSECONDS))
                                .addLast("backend", new BackendHandler(pool));
                    }
                });
    }

    BackendAddress address() {
        return address;
    }

    /** An idle connection that is still open, or null when a new one must be made. */
    Channel poll() {
        Channel channel;
        while ((channel = idle.pollLast()) != null) {
            if (channel.isActive() && !channel.pipeline().get(BackendCodec.class).hasUndecodedBytes()) {
                return channel;
            }
            channel.close();
        }
        return null;
    }

    ChannelFuture connect() {
        return bootstrap.connect();
    }

    /** Takes back a connection whose exchange ended clean, or closes it when the pool is full. */
    void release(Channel channel) {
        if (!channel.isActive() || idle.size() >= maxIdle || loop.isShuttingDown()) {
            channel.close();
            return;
        }
        idle.addLast(channel);
        channel.read();
    }

    void remove(Channel channel) {
        idle.remove(channel);
    }

    void closeIdleOnLoop() {
        if (loop.inEventLoop()) {
            closeIdle();
        } else if (!loop.isShuttingDown()) {
            loop.execute(this::closeIdle);
        }
    }

    private void closeIdle() {
        Channel channel;
        while ((channel = idle.pollLast()) != null) {
            channel.close();
        }
    }
}
