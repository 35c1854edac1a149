package io.gatehouse.proxy;

import io.gatehouse.upstream.BackendAddress;

import io.gatehouse.config.BackendConfig;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.FastThreadLocal;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * One {@link BackendPool} per backend and event loop, found through a thread-local map: a backend connection lives
 * on its client connection's event loop, so forwarding needs no locks and no thread hops.
 */
public final class BackendPools {

    private final Bootstrap template;
    private final int maxIdle;
    private final long idleTimeoutNanos;
    private final Queue<BackendPool> all = new ConcurrentLinkedQueue<>();
    private final FastThreadLocal<Map<BackendAddress, BackendPool>> perLoop = new FastThreadLocal<>() {
        @Override
        protected Map<BackendAddress, BackendPool> initialValue() {
            return new HashMap<>();
        }
    };

    public BackendPools(BackendConfig config, Class<? extends Channel> channelClass,
                        AddressResolverGroup<InetSocketAddress> resolver) {
        this.maxIdle = config.poolMaxIdle();
        this.idleTimeoutNanos = config.poolIdleTimeout().toNanos();
        this.template = new Bootstrap()
                .channel(channelClass)
                .resolver(resolver)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        config.connectTimeout().toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024));
    }

    /** The pool for {@code address} on {@code loop}; must be called on that loop. */
    BackendPool pool(EventLoop loop, BackendAddress address) {
        Map<BackendAddress, BackendPool> pools = perLoop.get();
        BackendPool pool = pools.get(address);
        if (pool == null) {
            pool = new BackendPool(loop, address, template, maxIdle, idleTimeoutNanos);
            pools.put(address, pool);
            all.add(pool);
        }
        return pool;
    }

    /** Idle pooled connections to {@code address}, over every event loop; from any thread. */
    public int idle(io.gatehouse.upstream.BackendAddress address) {
        int count = 0;
        for (BackendPool pool : all) {
            if (pool.address().equals(address)) {
                count += pool.idleCount();
            }
        }
        return count;
    }

    /** Closes every idle connection; each on its own loop. */
    public void closeIdle() {
        for (BackendPool pool : all) {
            pool.closeIdleOnLoop();
        }
    }
}
