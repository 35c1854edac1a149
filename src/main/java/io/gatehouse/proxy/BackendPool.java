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

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BackendPool.class);

    /** An https backend that takes longer than this to finish its handshake counts as unreachable. */
    static final long TLS_HANDSHAKE_TIMEOUT_MILLIS = 10_000;

    private final EventLoop loop;
    private final BackendAddress address;
    private final BackendPools pools;
    /** The pools' settings this pool's bootstrap was made with; a reload replaces them. */
    private BackendPools.Settings settings;
    private Bootstrap bootstrap;
    /** Idle connections, oldest first. */
    private final ArrayDeque<Idle> idle = new ArrayDeque<>();
    private ScheduledFuture<?> sweep;
    private long sweepPeriodNanos;
    /** No config uses this backend any more: connections coming back are closed. */
    private boolean retired;
    /** When a failed TLS handshake was last logged, so a broken certificate warns once a minute, not per request. */
    private long lastTlsWarningNanos;
    /** {@code idle.size()} as last seen on the loop, for the connection gauge read by the scrape thread. */
    private volatile int idleCount;

    /** A pooled connection and the time it came back. */
    private record Idle(Channel channel, long sinceNanos) {
    }

    BackendPool(EventLoop loop, BackendAddress address, BackendPools pools) {
        this.loop = loop;
        this.address = address;
        this.pools = pools;
        this.settings = pools.settings();
        this.bootstrap = bootstrap(settings.template());
    }

    private Bootstrap bootstrap(Bootstrap template) {
        BackendPool pool = this;
        return template.clone(loop)
                .remoteAddress(address.host(), address.port())
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (address.secure()) {
                            io.netty.handler.ssl.SslHandler tls = pools.tlsContext(address.tls())
                                    .newHandler(ch.alloc(), address.serverName(), address.port());
                            tls.setHandshakeTimeoutMillis(TLS_HANDSHAKE_TIMEOUT_MILLIS);
                            ch.pipeline().addLast("tls", tls);
                        }
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

    /** The pools' current settings; a reload's new ones are taken here, on the loop. */
    private BackendPools.Settings current() {
        BackendPools.Settings now = pools.settings();
        if (now != settings) {
            settings = now;
            bootstrap = bootstrap(now.template());
        }
        return now;
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

    /**
     * A new connection; for an https backend the future completes once the TLS handshake has, so that a
     * handshake failure is a connect failure (nothing of the request was sent).
     */
    ChannelFuture connect() {
        current();
        ChannelFuture tcp = bootstrap.connect();
        if (!address.secure()) {
            return tcp;
        }
        io.netty.channel.ChannelPromise ready = tcp.channel().newPromise();
        tcp.addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                ready.tryFailure(f.cause());
                return;
            }
            f.channel().pipeline().get(io.netty.handler.ssl.SslHandler.class).handshakeFuture().addListener(h -> {
                if (h.isSuccess()) {
                    ready.trySuccess();
                } else {
                    ready.tryFailure(new BackendTlsException(address, h.cause()));
                    f.channel().close();
                }
            });
        });
        return ready;
    }

    /** Logs a failed handshake with this backend, at most once a minute per loop. */
    void warnTlsFailure(BackendTlsException failure) {
        long now = System.nanoTime();
        if (lastTlsWarningNanos == 0 || now - lastTlsWarningNanos > TimeUnit.MINUTES.toNanos(1)) {
            lastTlsWarningNanos = now;
            LOG.warn("{}", failure.getMessage());
        }
    }

    /** The TLS handshake with an https backend failed: its certificate, its protocols, or the connection. */
    static final class BackendTlsException extends javax.net.ssl.SSLException {
        BackendTlsException(BackendAddress address, Throwable cause) {
            super("TLS handshake with " + address + " failed: " + rootMessage(cause), cause);
        }

        private static String rootMessage(Throwable cause) {
            Throwable root = cause;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        }
    }

    /** Takes back a connection whose exchange ended clean, or closes it when the pool is full or retired. */
    void release(Channel channel) {
        BackendPools.Settings now = current();
        if (retired || !channel.isActive() || idle.size() >= now.maxIdle() || loop.isShuttingDown()) {
            channel.close();
            return;
        }
        idle.addLast(new Idle(channel, System.nanoTime()));
        idleCount = idle.size();
        channel.read();
        long period = Math.max(now.idleTimeoutNanos() / 4, TimeUnit.MILLISECONDS.toNanos(10));
        if (sweep == null || period != sweepPeriodNanos) {
            if (sweep != null) {
                sweep.cancel(false);
            }
            sweepPeriodNanos = period;
            sweep = loop.scheduleAtFixedRate(this::closeExpired, period, period, TimeUnit.NANOSECONDS);
        }
    }

    /** No config uses this backend any more: closes the idle connections and, on release, the others. */
    void retireOnLoop(Runnable forget) {
        Runnable retire = () -> {
            retired = true;
            forget.run();
            closeIdle();
        };
        if (loop.inEventLoop()) {
            retire.run();
        } else if (!loop.isShuttingDown()) {
            loop.execute(retire);
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
        long idleTimeoutNanos = current().idleTimeoutNanos();
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
