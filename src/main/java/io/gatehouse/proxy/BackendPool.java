package io.gatehouse.proxy;

import io.gatehouse.upstream.BackendAddress;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.gatehouse.flow.ReadOnDemandHandler;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive connections to one backend from one event loop. Only that loop touches it, so it has no locks; a
 * connection is handed out last-in first-out (the warmest first) and comes back only when its exchange ended clean.
 * At most {@code maxIdle} idle connections are kept; an idle one is closed after the idle timeout, and a pooled
 * connection keeps a read pending so that a close by the backend is noticed at once.
 * <p>
 * The idle timeout is kept by the pool, not by each connection: a connection in use has no idle timer (the call's
 * own timeout covers it), so the request path carries no idle-timer work, and one sweep per pool closes the
 * connections that sat idle too long, within a quarter of the timeout after it.
 */
final class BackendPool {

    private final EventLoop loop;
    private final BackendAddress address;
    private final Bootstrap bootstrap;
    private final int maxIdle;
    private final long idleTimeoutNanos;
    /** Idle connections, oldest first. */
    private final ArrayDeque<Idle> idle = new ArrayDeque<>();
    private ScheduledFuture<?> sweep;
    /** {@code idle.size()} as last seen on the loop, for the connection gauge read by the scrape thread. */
    private volatile int idleCount;

    /** A pooled connection and the time it came back. */
    private record Idle(Channel channel, long sinceNanos) {
    }

    BackendPool(EventLoop loop, BackendAddress address, Bootstrap template, int maxIdle, long idleTimeoutNanos) {
        this.loop = loop;
        this.address = address;
        this.maxIdle = maxIdle;
        this.idleTimeoutNanos = idleTimeoutNanos;
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
                                .addLast("backend", new BackendHandler(pool));
                    }
                });
    }

    /** Idle pooled connections; read from any thread. */
    int idleCount() {
        return idleCount;
    }

    BackendAddress address() {
        return address;
    }

    /** An idle connection that is still open, or null when a new one must be made. */
    Channel poll() {
        Idle entry;
        while ((entry = idle.pollLast()) != null) {
            Channel channel = entry.channel();
            if (channel.isActive() && !channel.pipeline().get(BackendCodec.class).hasUndecodedBytes()) {
                idleCount = idle.size();
                return channel;
            }
            channel.close();
        }
        idleCount = 0;
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
        idle.addLast(new Idle(channel, System.nanoTime()));
        idleCount = idle.size();
        channel.read();
        if (sweep == null) {
            long period = Math.max(idleTimeoutNanos / 4, TimeUnit.MILLISECONDS.toNanos(10));
            sweep = loop.scheduleAtFixedRate(this::closeExpired, period, period, TimeUnit.NANOSECONDS);
        }
    }

    /** A pooled connection closed (by the backend, or by the gateway): forget it. */
    void remove(Channel channel) {
        idle.removeIf(entry -> entry.channel() == channel);
        idleCount = idle.size();
    }

    /** Closes the connections idle for longer than the timeout: they are at the old end of the deque. */
    private void closeExpired() {
        long now = System.nanoTime();
        Idle oldest;
        while ((oldest = idle.peekFirst()) != null && now - oldest.sinceNanos() >= idleTimeoutNanos) {
            idle.pollFirst();
            oldest.channel().close();
        }
        idleCount = idle.size();
    }

    void closeIdleOnLoop() {
        if (loop.inEventLoop()) {
            closeIdle();
        } else if (!loop.isShuttingDown()) {
            loop.execute(this::closeIdle);
        }
    }

    private void closeIdle() {
        Idle entry;
        while ((entry = idle.pollLast()) != null) {
            entry.channel().close();
        }
        idleCount = 0;
        if (sweep != null) {
            sweep.cancel(false);
            sweep = null;
        }
    }
}
