package io.gatehouse.server;

import io.gatehouse.admin.AdminServer;
import io.gatehouse.admin.AdminState;
import io.gatehouse.admin.ConfigStatus;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.metrics.GatewayMetrics;
import io.gatehouse.pipeline.AccessLog;
import io.gatehouse.pipeline.AccessLogWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.gatehouse.pipeline.Filters;
import io.gatehouse.cache.CacheRegistry;
import io.gatehouse.cache.HttpCache;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.config.ServerConfig;
import io.gatehouse.proxy.BackendPools;
import io.gatehouse.ratelimit.RateLimitPolicies;
import io.gatehouse.ratelimit.RateLimiter;
import io.gatehouse.ratelimit.RateLimiters;
import io.gatehouse.upstream.Upstreams;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A running gateway: event loops, the listening socket, the current config and the state that outlives a config
 * (rate-limit counters, backend pools, the health and breaker state of upstream targets). {@link #start} binds; {@link #shutdown} drains and stops.
 */
public final class GatehouseServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GatehouseServer.class);
    private static final long QUIET_PERIOD_MILLIS = 50;

    private final AtomicReference<RuntimeConfig> config;
    private final Transport transport;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final DnsAddressResolverGroup resolver;
    private final RateLimiter limiter;
    private final Upstreams upstreams;
    private final CacheRegistry caches = new CacheRegistry();
    private final ScheduledExecutorService housekeeping;
    private final ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private final AtomicInteger openConnections = new AtomicInteger();
    private final AtomicLong lastRefusalLog = new AtomicLong(System.nanoTime() - TimeUnit.MINUTES.toNanos(1));
    private volatile boolean draining;
    private Channel serverChannel;
    private BackendPools pools;
    // Operations: metrics, the access log, the admin listener and what /config reports.
    private final GatewayMetrics metrics = GatewayMetrics.create();
    private final AccessLog accessLog;
    private EventLoopGroup adminGroup;
    private AdminServer admin;
    private volatile ConfigStatus configStatus;

    private GatehouseServer(GatewayConfig initial, Transport transport) {
        this.config = new AtomicReference<>();
        this.transport = transport;
        ServerConfig server = initial.server();
        int threads = server.ioThreads() > 0 ? server.ioThreads() : Runtime.getRuntime().availableProcessors();
        this.bossGroup = transport.newGroup(1, "gatehouse-accept");
        this.workerGroup = transport.newGroup(threads, "gatehouse-io");
        this.resolver = new DnsAddressResolverGroup(new DnsNameResolverBuilder()
                .datagramChannelType(transport.datagramChannel())
                .socketChannelType(transport.socketChannel()));
        this.limiter = RateLimiters.create(initial.rateLimit(), System::nanoTime);
        this.housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "gatehouse-housekeeping");
            t.setDaemon(true);
            return t;
        });
        this.upstreams = Upstreams.checking(System::nanoTime);
        this.accessLog = AccessLog.open(initial.operations().accessLog());
        metrics.cacheSize(() -> caches.current() == null ? 0 : caches.current().weight(),
                () -> caches.current() == null ? 0 : caches.current().entries());
        HttpCache store = caches.storeFor(initial);
        this.config.set(Filters.compile(initial, limiter, upstreams, metrics, store));
        caches.committed(initial, store);
        limiter.retain(RateLimitPolicies.of(initial).all());
        this.configStatus = new ConfigStatus(1, Instant.now(), initial.operations().sourceSha256(), null, null);
        registerCallbacks();
        // Each policy is swept about once per its own window; this only says how often to look.
        housekeeping.scheduleWithFixedDelay(limiter::evictIdle, 1000, 1000, TimeUnit.MILLISECONDS);
    }

    /** Starts a gateway on the best transport for this machine and binds its port. Call off the event loops. */
    public static GatehouseServer start(GatewayConfig config) throws InterruptedException {
        return start(config, Transport.of(config.server().transport()));
    }

    public static GatehouseServer start(GatewayConfig config, Transport transport) throws InterruptedException {
        GatehouseServer server = new GatehouseServer(config, transport);
        try {
            server.bind();
        } catch (RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** The gauges read when scraped: state owned by the server, the registry and the pools. */
    private void registerCallbacks() {
        metrics.clientConnections(clients::size);
        metrics.configGeneration(() -> configStatus.generation());
        metrics.accessLogDropped(AccessLogWriter::droppedTotal);
        metrics.targetUp(callback -> {
            long now = System.nanoTime();
            config.get().forEachTarget((handle, endpoint) -> callback.call(
                    endpoint.healthy() && endpoint.breaker().available(now) ? 1 : 0,
                    handle.upstream(), handle.target()));
        });
        metrics.backendConnections(callback -> {
            java.util.Map<String, int[]> byUpstream = new java.util.LinkedHashMap<>();
            BackendPools current = pools;
            config.get().forEachTarget((handle, endpoint) -> {
                int[] counts = byUpstream.computeIfAbsent(handle.upstream(), u -> new int[2]);
                counts[0] += endpoint.inFlight();
                counts[1] += current == null ? 0 : current.idle(endpoint.address());
            });
            byUpstream.forEach((upstream, counts) -> {
                callback.call(counts[0], upstream, "active");
                callback.call(counts[1], upstream, "idle");
            });
        });
    }

    private void bind() throws InterruptedException {
        RuntimeConfig current = config.get();
        ServerConfig server = current.config().server();
        pools = new BackendPools(current.config().backend(), transport.socketChannel(), resolver);
        ClientChannelInitializer initializer = new ClientChannelInitializer(config::get, () -> draining, pools,
                accessLog);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(bossGroup, workerGroup)
                .channel(transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 * 1024, 64 * 1024))
                .childHandler(new io.netty.channel.ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (!admit(ch)) {
                            return;
                        }
                        clients.add(ch);
                        ch.pipeline().addLast(initializer);
                    }
                });
        serverChannel = bootstrap.bind(server.host(), server.port()).sync().channel();
        LOG.info("Gatehouse listening on {}:{} ({} transport, {} routes)", server.host(), port(), transport.name(),
                current.routes().routes().size());
        var adminConfig = current.config().operations().admin();
        if (adminConfig.enabled()) {
            adminGroup = transport.newGroup(1, "gatehouse-admin");
            admin = AdminServer.start(adminConfig, adminGroup, transport.serverChannel(), new AdminState() {
                @Override
                public boolean ready() {
                    return !draining;
                }

                @Override
                public PrometheusRegistry registry() {
                    return metrics.registry();
                }

                @Override
                public HttpCache cache() {
                    return caches.current();
                }

                @Override
                public ConfigStatus configStatus() {
                    return configStatus;
                }
            });
            LOG.info("admin listener on {}:{}", adminConfig.host(), admin.port());
        }
    }

    /** The admin listener's bound port; -1 when there is none. */
    public int adminPort() {
        return admin == null ? -1 : admin.port();
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    /**
     * Counts the connection against {@code server.max_connections}; one over the cap is closed at once, before it
     * costs a pipeline, so the connections already open are not affected.
     */
    private boolean admit(Channel ch) {
        int max = config.get().config().server().maxConnections();
        if (max > 0 && openConnections.incrementAndGet() > max) {
            openConnections.decrementAndGet();
            ch.close();
            long now = System.nanoTime();
            long last = lastRefusalLog.get();
            if (now - last > TimeUnit.SECONDS.toNanos(10) && lastRefusalLog.compareAndSet(last, now)) {
                LOG.warn("refusing connections: server.max_connections ({}) reached", max);
            }
            return false;
        }
        if (max > 0) {
            ch.closeFuture().addListener(f -> openConnections.decrementAndGet());
        }
        return true;
    }

    /** The name of the socket implementation in use: io_uring, epoll or nio. */
    public String transportName() {
        return transport.name();
    }

    /** The bound port: the configured one, or the one the system chose for port 0. */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    public RuntimeConfig config() {
        return config.get();
    }

    /**
     * Replaces the config for every request that starts from now on; requests in flight keep theirs. Rate-limit
     * policies whose name, limit and window did not change keep every client's counters; the others start afresh.
     * Where the counters live ({@code rate_limit.store}, {@code redis}) changes only with a restart.
     */
    public void reload(GatewayConfig next) {
        try {
            // First what can fail (a new access-log file), so that a failed reload changes nothing.
            accessLog.configure(next.operations().accessLog());
        } catch (RuntimeException e) {
            reloadFailed(e.getMessage());
            throw e;
        }
        HttpCache store = caches.storeFor(next);
        RuntimeConfig compiled = Filters.compile(next, limiter, upstreams, metrics, store);
        config.set(compiled);
        caches.committed(next, store);
        limiter.retain(RateLimitPolicies.of(next).all());
        compiled.retainMetrics();
        configStatus = new ConfigStatus(configStatus.generation() + 1, Instant.now(),
                next.operations().sourceSha256(), null, null);
        metrics.configReloaded(true);
    }

    /** A reload was refused ({@code message} says why, as the loader reports it): the running config stays. */
    public void reloadFailed(String message) {
        ConfigStatus current = configStatus;
        configStatus = new ConfigStatus(current.generation(), current.loadedAt(), current.sha256(), Instant.now(),
                message);
        metrics.configReloaded(false);
    }

    /** The response cache's running store, or null when nothing is cached. */
    public HttpCache cache() {
        return caches.current();
    }

    /** What {@code GET /config} on the admin port reports. */
    public ConfigStatus configStatus() {
        return configStatus;
    }

    /**
     * Stops accepting, lets requests in flight finish (their responses carry {@code Connection: close}), closes
     * idle keep-alive connections, and after {@code deadline} closes whatever is left. Returns the number of
     * connections that had to be cut.
     */
    public int shutdown(Duration deadline) {
        draining = true;
        upstreams.close();
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly();
        }
        long end = System.nanoTime() + deadline.toNanos();
        while (true) {
            for (Channel ch : clients) {
                ClientConnectionHandler connection = ch.pipeline().get(ClientConnectionHandler.class);
                if (connection == null || connection.idle()) {
                    ch.eventLoop().execute(() -> {
                        if (connection == null || connection.idle()) {
                            ch.close();
                        }
                    });
                }
            }
            if (clients.isEmpty() || System.nanoTime() - end > 0) {
                break;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int cut = clients.size();
        if (cut > 0) {
            LOG.warn("shutdown deadline reached: closing {} connection(s) still in progress", cut);
        }
        close();
        return cut;
    }

    @Override
    public void close() {
        draining = true;
        if (admin != null) {
            admin.close();
        }
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (pools != null) {
            pools.closeIdle();
        }
        housekeeping.shutdownNow();
        upstreams.close();
        limiter.close();
        caches.close();
        resolver.close();
        // A short quiet period lets the loops finish what closing the connections started: with io_uring, a
        // connection's pending read is cancelled by the kernel, and its buffer is released only when that
        // completion is processed.
        bossGroup.shutdownGracefully(QUIET_PERIOD_MILLIS, 2000, TimeUnit.MILLISECONDS);
        workerGroup.shutdownGracefully(QUIET_PERIOD_MILLIS, 2000, TimeUnit.MILLISECONDS);
        bossGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        workerGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (adminGroup != null) {
            adminGroup.shutdownGracefully(0, 1000, TimeUnit.MILLISECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        accessLog.close();
    }
}
