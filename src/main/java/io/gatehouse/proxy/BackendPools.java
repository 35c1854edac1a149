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
 * <p>
 * The pools outlive a config. A reload changes their settings in place ({@link #reconfigure}: new connections get
 * the new connect timeout, the idle limits apply from the next release) and retires the pools of backends no
 * config uses any more ({@link #retain}): their idle connections are closed at once, the ones still carrying a
 * request when they come back.
 */
public final class BackendPools {

    /** The settings in force, replaced as a whole on a reload; pools read them at each use. */
    record Settings(Bootstrap template, int maxIdle, long idleTimeoutNanos) {
    }

    private final Class<? extends Channel> channelClass;
    private final AddressResolverGroup<InetSocketAddress> resolver;
    private volatile Settings settings;
    private final Queue<BackendPool> all = new ConcurrentLinkedQueue<>();
    /** One client TLS context per distinct {@code upstreams.*.tls}, shared by every loop's pools. */
    private final java.util.concurrent.ConcurrentMap<io.gatehouse.config.BackendTlsConfig,
            io.netty.handler.ssl.SslContext> tlsContexts = new java.util.concurrent.ConcurrentHashMap<>();
    private final FastThreadLocal<Map<BackendAddress, BackendPool>> perLoop = new FastThreadLocal<>() {
        @Override
        protected Map<BackendAddress, BackendPool> initialValue() {
            return new HashMap<>();
        }
    };

    public BackendPools(BackendConfig config, Class<? extends Channel> channelClass,
                        AddressResolverGroup<InetSocketAddress> resolver) {
        this.channelClass = channelClass;
        this.resolver = resolver;
        this.settings = settings(config);
    }

    private BackendPools(Settings fixed) {
        this.channelClass = null;
        this.resolver = null;
        this.settings = fixed;
    }

    /**
     * The client context for https targets checked with {@code tls}: OpenSSL where it loads, TLS 1.3 and 1.2,
     * judged by {@link io.gatehouse.upstream.BackendTrust}. Built on first use; {@link #prepareTls} builds the
     * ones a config needs before its requests arrive, off the event loops.
     */
    io.netty.handler.ssl.SslContext tlsContext(io.gatehouse.config.BackendTlsConfig tls) {
        return tlsContexts.computeIfAbsent(tls, t -> {
            try {
                return io.netty.handler.ssl.SslContextBuilder.forClient()
                        .sslProvider(io.netty.handler.ssl.OpenSsl.isAvailable()
                                ? io.netty.handler.ssl.SslProvider.OPENSSL : io.netty.handler.ssl.SslProvider.JDK)
                        .protocols("TLSv1.3", "TLSv1.2")
                        .trustManager(io.gatehouse.upstream.BackendTrust.trustManager(t))
                        // The trust manager checks the name itself, against server_name when one is set.
                        .endpointIdentificationAlgorithm(null)
                        .build();
            } catch (javax.net.ssl.SSLException e) {
                throw new IllegalStateException("cannot build the TLS context for " + t + ": " + e.getMessage(), e);
            }
        });
    }

    /** Builds the TLS contexts of {@code addresses} now; call off the event loops, at start and on reload. */
    public void prepareTls(Iterable<BackendAddress> addresses) {
        for (BackendAddress address : addresses) {
            if (address.secure()) {
                tlsContext(address.tls());
            }
        }
    }

    /** Pools with these settings and a template of the caller's, for tests of one pool. */
    static BackendPools of(Bootstrap template, int maxIdle, long idleTimeoutNanos) {
        return new BackendPools(new Settings(template, maxIdle, idleTimeoutNanos));
    }

    /** Replaces the settings as a reload does, keeping the template; for tests of one pool. */
    void reconfigure(int maxIdle, long idleTimeoutNanos) {
        settings = new Settings(settings.template(), maxIdle, idleTimeoutNanos);
    }

    private Settings settings(BackendConfig config) {
        Bootstrap template = new Bootstrap()
                .channel(channelClass)
                .resolver(resolver)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                        config.connectTimeout().toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024));
        return new Settings(template, config.poolMaxIdle(), config.poolIdleTimeout().toNanos());
    }

    /** The backend settings of a reloaded config: for new connections, and for idle ones from their next release. */
    public void reconfigure(BackendConfig config) {
        settings = settings(config);
    }

    Settings settings() {
        return settings;
    }

    /** The pool for {@code address} on {@code loop}; must be called on that loop. */
    BackendPool pool(EventLoop loop, BackendAddress address) {
        Map<BackendAddress, BackendPool> pools = perLoop.get();
        BackendPool pool = pools.get(address);
        if (pool == null) {
            pool = new BackendPool(loop, address, this);
            pools.put(address, pool);
            all.add(pool);
        }
        return pool;
    }

    /**
     * Retires the pools of every backend not in {@code addresses} (the running config's): each on its own loop,
     * its idle connections are closed, and a connection still in use is closed when it comes back. A backend that
     * returns later gets a fresh pool. From any thread.
     */
    public void retain(java.util.Set<BackendAddress> addresses) {
        for (BackendPool pool : all) {
            if (!addresses.contains(pool.address())) {
                all.remove(pool);
                pool.retireOnLoop(() -> perLoop.get().remove(pool.address(), pool));
            }
        }
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
