package io.gatehouse.server;

import io.gatehouse.admin.AdminServer;
import io.gatehouse.admin.AdminState;
import io.gatehouse.admin.ConfigStatus;
import io.gatehouse.auth.jwt.JwksClient;
import io.gatehouse.auth.jwt.JwtProviders;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.metrics.GatewayMetrics;
import io.gatehouse.pipeline.AccessLog;
import io.gatehouse.pipeline.AccessLogWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.gatehouse.pipeline.Filters;
import io.gatehouse.cache.CacheRegistry;
import io.gatehouse.cache.HttpCache;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.config.JwtProviderConfig;
import io.gatehouse.config.ServerConfig;
import io.gatehouse.proxy.BackendPools;
import io.gatehouse.reload.ConfigReloader;
import io.gatehouse.reload.ReloadOutcome;
import io.gatehouse.reload.Reloadable;
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
    /** How long a listener replaced by a reload keeps accepting. */
    static final Duration LISTENER_HANDOVER = Duration.ofSeconds(2);
    /** How long a limiter replaced by a reload stays open for the requests that already asked it. */
    private static final Duration LIMITER_RETIREMENT = Duration.ofSeconds(10);

    private final AtomicReference<RuntimeConfig> config;
    private final Transport transport;
    /** The server settings the event loops were made with: what a restart-only key is compared against. */
    private final ServerConfig startedWith;
    private final EventLoopGroup bossGroup;
    private final EventLoopGroup workerGroup;
    private final DnsAddressResolverGroup resolver;
    private volatile RateLimiter limiter;
    private final Upstreams upstreams;
    private final CacheRegistry caches = new CacheRegistry();
    private final ScheduledExecutorService housekeeping;
    private final ChannelGroup clients = new DefaultChannelGroup("clients", GlobalEventExecutor.INSTANCE);
    private final AtomicInteger openConnections = new AtomicInteger();
    private final AtomicLong lastRefusalLog = new AtomicLong(System.nanoTime() - TimeUnit.MINUTES.toNanos(1));
    private volatile boolean draining;
    /** The listener new clients are told about; {@link #listeners} also has retired ones still accepting. */
    private volatile ClientListener listener;
    private final java.util.Set<ClientListener> listeners = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile BackendPools pools;
    /** Limiters of an earlier {@code rate_limit.store}, closed once the requests that took them are decided. */
    private final java.util.Set<RateLimiter> retiredLimiters = java.util.concurrent.ConcurrentHashMap.newKeySet();
    // Operations: metrics, the access log, the admin listener and what /config reports.
    private final GatewayMetrics metrics = GatewayMetrics.create();
    private final AccessLog accessLog;
    private EventLoopGroup adminGroup;
    private volatile AdminServer admin;
    private volatile ConfigStatus configStatus;
    private volatile ConfigReloader reloader;
    // JWT providers' key sets, fetched on an event loop of their own.
    private final EventLoopGroup jwksGroup;
    private final JwtProviders jwt;

    private GatehouseServer(GatewayConfig initial, Transport transport) {
        this.config = new AtomicReference<>();
        this.transport = transport;
        ServerConfig server = initial.server();
        this.startedWith = server;
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
        this.jwksGroup = transport.newGroup(1, "gatehouse-jwks");
        this.jwt = JwtProviders.fetching(new JwksClient(jwksGroup, transport.socketChannel(), resolver),
                (task, delay) -> jwksGroup.next().schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS));
        metrics.cacheSize(() -> caches.current() == null ? 0 : caches.current().weight(),
                () -> caches.current() == null ? 0 : caches.current().entries());
        HttpCache store = caches.storeFor(initial);
        this.config.set(Filters.compile(initial, limiter, upstreams, metrics, store, jwt).withGeneration(1)
                .withServerTls(ServerTls.context(initial.server().tls(), initial.server().h2OverTls())));
        caches.committed(initial, store);
        limiter.retain(RateLimitPolicies.of(initial).all());
        this.configStatus = new ConfigStatus(1, Instant.now(), initial.operations().sourceSha256(), null, null);
        registerCallbacks();
        // Each policy is swept about once per its own window; this only says how often to look.
        housekeeping.scheduleWithFixedDelay(() -> limiter.evictIdle(), 1000, 1000, TimeUnit.MILLISECONDS);
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
        pools.prepareTls(addresses(current));
        listener = listen(server.host(), server.port());
        LOG.info("Gatehouse listening on {}:{} ({}, {} transport, {} routes)", server.host(), port(),
                server.secure() ? "HTTPS with " + ServerTls.provider() : "cleartext HTTP", transport.name(),
                current.routes().routes().size());
        var adminConfig = current.config().operations().admin();
        if (adminConfig.enabled()) {
            admin = startAdmin(adminConfig);
        }
    }

    /**
     * Binds a client listener on {@code host:port}; throws when it cannot. Its connections close after each
     * response once the gateway drains or a newer listener retires it.
     */
    private ClientListener listen(String host, int port) throws InterruptedException {
        ClientListener listening = new ClientListener(host);
        ClientChannelInitializer initializer = new ClientChannelInitializer(config::get,
                () -> draining || listening.retired(), pools, accessLog);
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
                        listening.accepted(ch);
                        ch.pipeline().addLast(initializer);
                    }
                });
        listening.bound(bootstrap.bind(host, port).sync().channel());
        listeners.add(listening);
        return listening;
    }

    /** Binds the admin listener of {@code adminConfig}; throws when it cannot. */
    private AdminServer startAdmin(io.gatehouse.config.AdminConfig adminConfig) throws InterruptedException {
        if (adminGroup == null) {
            adminGroup = transport.newGroup(1, "gatehouse-admin");
        }
        AdminServer started = AdminServer.start(adminConfig, adminGroup, transport.serverChannel(), new AdminState() {
            @Override
            public boolean ready() {
                return !draining && jwt.ready();
            }

            @Override
            public PrometheusRegistry registry() {
                return metrics.registry();
            }

            @Override
            public ConfigStatus configStatus() {
                return configStatus;
            }

            @Override
            public HttpCache cache() {
                return caches.current();
            }

            @Override
            public java.util.concurrent.CompletionStage<ReloadOutcome> reload() {
                ConfigReloader current = reloader;
                return current == null ? null : current.request("POST /reload");
            }
        });
        LOG.info("admin listener on {}:{}", adminConfig.host(), started.port());
        return started;
    }

    /** The admin listener's bound port; -1 when there is none. */
    public int adminPort() {
        return admin == null ? -1 : admin.port();
    }

    public GatewayMetrics metrics() {
        return metrics;
    }

    /** The JWT providers' key sources (for tests and start-up waits). */
    public JwtProviders jwtProviders() {
        return jwt;
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
        return listener.port();
    }

    public RuntimeConfig config() {
        return config.get();
    }

    /**
     * Replaces the config for every request that starts from now on; requests in flight keep the one they started
     * with, to their end. Everything in the file takes effect but {@code server.io_threads} and
     * {@code server.transport} (logged, and shown on {@code /config}, as waiting for a restart):
     * <ul>
     *   <li>a changed {@code server.host} or {@code server.port} is bound before anything changes — if it cannot
     *       be, the reload is refused and nothing changes — then the old listener is retired (its connections close
     *       after their current response, and it stops accepting {@link #LISTENER_HANDOVER} later); a changed
     *       {@code admin} listener likewise;</li>
     *   <li>a changed {@code rate_limit.store} or {@code redis} gets a new limiter (counters in Redis stay there);
     *       otherwise the limiter stays, and a policy whose name, limit and window did not change keeps every
     *       client's counters;</li>
     *   <li>{@code backend} settings apply to the pools in place; the pools of targets no longer in any upstream
     *       are retired (idle connections closed now, busy ones when they come back); targets that stay keep their
     *       health, breaker state and pooled connections.</li>
     * </ul>
     * Throws, with the status and metrics recording the refusal, when something the file asks for cannot be had.
     */
    public synchronized void reload(GatewayConfig next) {
        GatewayConfig running = config.get().config();
        ServerConfig nextServer = next.server();
        ClientListener nextListener = null;
        AdminServer nextAdmin = null;
        boolean adminChanged = !running.operations().admin().equals(next.operations().admin());
        RateLimiter previousLimiter = limiter;
        RateLimiter nextLimiter = previousLimiter;
        java.util.List<String> restartOnly = RestartOnlySettings.changed(startedWith, next);
        long generation = configStatus.generation() + 1;
        RuntimeConfig compiled;
        HttpCache store = null;
        try {
            // First what can fail, so that a failed reload changes nothing: the new sockets, a new access-log file.
            if (!running.server().sameListener(nextServer)) {
                nextListener = listenForReload(nextServer.host(), nextServer.port());
            }
            if (adminChanged && next.operations().admin().enabled()) {
                nextAdmin = adminForReload(next.operations().admin());
            }
            accessLog.configure(next.operations().accessLog());
            if (!running.rateLimit().sameStore(next.rateLimit())) {
                nextLimiter = RateLimiters.create(next.rateLimit(), System::nanoTime);
            }
            store = caches.storeFor(next);
            compiled = Filters.compile(next, nextLimiter, upstreams, metrics, store, jwt)
                    .withGeneration(generation)
                    .withServerTls(ServerTls.context(nextServer.tls(), nextServer.h2OverTls()));
            pools.prepareTls(addresses(compiled));
        } catch (RuntimeException e) {
            if (store != null && store != caches.current()) {
                store.close();
            }
            if (nextListener != null) {
                nextListener.stopAccepting();
                listeners.remove(nextListener);
            }
            if (nextAdmin != null) {
                nextAdmin.close();
            }
            if (nextLimiter != previousLimiter) {
                nextLimiter.close();
            }
            reloadFailed(e.getMessage());
            throw e;
        }
        pools.reconfigure(next.backend());

        // The swap: from here on every new request head takes the new snapshot.
        config.set(compiled);
        caches.committed(next, store);
        limiter = nextLimiter;
        ClientListener previousListener = listener;
        if (nextListener != null) {
            listener = nextListener;
        }
        AdminServer previousAdmin = admin;
        if (adminChanged) {
            admin = nextAdmin;
        }
        configStatus = new ConfigStatus(generation, Instant.now(), next.operations().sourceSha256(), null, null,
                restartOnly);
        metrics.configReloaded(true);

        // Then retire what the new config no longer uses, and keep what it does.
        nextLimiter.retain(RateLimitPolicies.of(next).all());
        if (nextLimiter != previousLimiter) {
            LOG.info("rate-limit counters now in {}", next.rateLimit().redis() == null ? "this process"
                    : next.rateLimit().redis().safeUrl());
            retiredLimiters.add(previousLimiter);
            housekeeping.schedule(() -> {
                if (retiredLimiters.remove(previousLimiter)) {
                    previousLimiter.close();
                }
            }, LIMITER_RETIREMENT.toMillis(), TimeUnit.MILLISECONDS);
        }
        compiled.retainMetrics();
        pools.retain(addresses(compiled));
        if (nextListener != null) {
            LOG.info("Gatehouse listening on {}:{}; {} stops accepting in {} ms and its connections close after"
                    + " their current response", nextListener.host(), nextListener.port(), previousListener,
                    LISTENER_HANDOVER.toMillis());
            retire(previousListener, nextServer.shutdownTimeout());
        }
        if (adminChanged && previousAdmin != null) {
            housekeeping.schedule(previousAdmin::close, LISTENER_HANDOVER.toMillis(), TimeUnit.MILLISECONDS);
        }
        if (!restartOnly.isEmpty()) {
            LOG.warn("{} changed: take{} effect after a restart; the rest of the config is reloaded",
                    String.join(", ", restartOnly), restartOnly.size() == 1 ? "s" : "");
        }
    }

    /** Every backend {@code snapshot} sends requests to. */
    private static java.util.Set<io.gatehouse.upstream.BackendAddress> addresses(RuntimeConfig snapshot) {
        java.util.Set<io.gatehouse.upstream.BackendAddress> addresses = new java.util.HashSet<>();
        snapshot.forEachTarget((handle, endpoint) -> addresses.add(endpoint.address()));
        return addresses;
    }

    /** A listener for a reload: bound now, or a refusal that names the address. */
    private ClientListener listenForReload(String host, int port) {
        try {
            return listen(host, port);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding " + host + ":" + port, e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot listen on " + host + ":" + port + " (server.host, server.port): "
                    + describe(e), e);
        }
    }

    private AdminServer adminForReload(io.gatehouse.config.AdminConfig adminConfig) {
        try {
            return startAdmin(adminConfig);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while binding the admin listener", e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot listen on " + adminConfig.host() + ":" + adminConfig.port()
                    + " (admin.host, admin.port): " + describe(e), e);
        }
    }

    private static String describe(Throwable e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * A listener a newer one replaced: its connections already close after their current response; it accepts for
     * {@link #LISTENER_HANDOVER} more (clients that looked up the old address a moment ago, and connections in its
     * accept queue, are served rather than refused), and its connections still idle after {@code drain} are closed.
     */
    private void retire(ClientListener old, Duration drain) {
        old.retire();
        housekeeping.schedule(() -> {
            old.stopAccepting();
            listeners.remove(old);
        }, LISTENER_HANDOVER.toMillis(), TimeUnit.MILLISECONDS);
        housekeeping.schedule(() -> closeIdle(old.connections()), LISTENER_HANDOVER.plus(drain).toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Closes each connection of {@code channels} with no request or response in progress, on its own loop. A
     * WebSocket tunnel is never idle in that sense: a reload leaves it open, and shutdown cuts it at the deadline.
     */
    private static void closeIdle(Iterable<Channel> channels) {
        for (Channel ch : channels) {
            ClientConnectionHandler connection = ch.pipeline().get(ClientConnectionHandler.class);
            if (connection == null || connection.idle()) {
                ch.eventLoop().execute(() -> {
                    if (connection == null ? !tunnelled(ch) : connection.idle()) {
                        ch.close();
                    }
                });
            }
        }
    }

    private static boolean tunnelled(Channel ch) {
        Exchange exchange = Exchange.of(ch);
        return exchange != null && exchange.tunnelled();
    }

    /**
     * Reloads from {@code file} from now on: on {@link ConfigReloader#request} (SIGHUP, the admin
     * {@code POST /reload}) and, while {@code server.watch_config} is on, whenever the file changes. The file is
     * the one this gateway's config was read from; its running content is not reloaded again.
     */
    public synchronized ConfigReloader reloadFrom(java.nio.file.Path file) {
        if (reloader != null) {
            throw new IllegalStateException("already reloading from " + reloader.file());
        }
        reloader = ConfigReloader.start(file, new Reloadable() {
            @Override
            public String runningSha256() {
                return configStatus.sha256();
            }

            @Override
            public java.util.List<java.nio.file.Path> otherFiles() {
                GatewayConfig running = config.get().config();
                java.util.List<java.nio.file.Path> files = new java.util.ArrayList<>();
                if (running.server().tls() != null) {
                    files.add(running.server().tls().cert());
                    files.add(running.server().tls().key());
                }
                running.allUpstreams().stream().map(u -> u.tls().caFile()).filter(java.util.Objects::nonNull)
                        .forEach(files::add);
                running.auth().jwt().values().stream().map(JwtProviderConfig::jwksFile)
                        .filter(java.util.Objects::nonNull).forEach(files::add);
                return files;
            }

            @Override
            public long generation() {
                return configStatus.generation();
            }

            @Override
            public void apply(GatewayConfig next) {
                reload(next);
            }

            @Override
            public void refused(String message) {
                reloadFailed(message);
            }

            @Override
            public void unchanged() {
                metrics.configReloaded(ReloadOutcome.Result.UNCHANGED.label());
            }
        }, config.get().config().server().watchConfig());
        return reloader;
    }

    /** A reload was refused ({@code message} says why, as the loader reports it): the running config stays. */
    public void reloadFailed(String message) {
        ConfigStatus current = configStatus;
        configStatus = new ConfigStatus(current.generation(), current.loadedAt(), current.sha256(), Instant.now(),
                message, current.pendingRestart());
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
        ConfigReloader stopReloading = reloader;
        if (stopReloading != null) {
            stopReloading.close();
        }
        upstreams.close();
        for (ClientListener listening : listeners) {
            listening.stopAccepting();
        }
        long end = System.nanoTime() + deadline.toNanos();
        while (true) {
            closeIdle(clients);
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
        ConfigReloader stopReloading = reloader;
        if (stopReloading != null) {
            stopReloading.close();
        }
        if (admin != null) {
            admin.close();
        }
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (pools != null) {
            pools.closeIdle();
        }
        for (ClientListener listening : listeners) {
            listening.stopAccepting();
        }
        housekeeping.shutdownNow();
        upstreams.close();
        jwt.close();
        limiter.close();
        for (RateLimiter retired : retiredLimiters) {
            retired.close();
        }
        caches.close();
        resolver.close();
        // A short quiet period lets the loops finish what closing the connections started: with io_uring, a
        // connection's pending read is cancelled by the kernel, and its buffer is released only when that
        // completion is processed.
        bossGroup.shutdownGracefully(QUIET_PERIOD_MILLIS, 2000, TimeUnit.MILLISECONDS);
        workerGroup.shutdownGracefully(QUIET_PERIOD_MILLIS, 2000, TimeUnit.MILLISECONDS);
        bossGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        workerGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        jwksGroup.shutdownGracefully(0, 1000, TimeUnit.MILLISECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        if (adminGroup != null) {
            adminGroup.shutdownGracefully(0, 1000, TimeUnit.MILLISECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        accessLog.close();
    }
}
