package io.gatehouse;

import io.gatehouse.config.ConfigException;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.Durations;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.server.GatehouseServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the process does on signals. SIGTERM or SIGINT: drain (stop accepting, finish requests in flight within
 * {@code server.shutdown_timeout}, flush the access log) and exit 0; a second one exits at once. SIGHUP: reload
 * {@code gateway.yaml} — a file that does not validate is refused and the running config is kept.
 * <p>
 * The JVM's own SIGTERM handling would run shutdown hooks and then exit 143, and offers no way to tell a second
 * signal from the first, hence {@code sun.misc.Signal}.
 */
final class ProcessSignals {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessSignals.class);

    private final GatehouseServer server;
    private final Path configPath;
    private final Runnable flushLogs;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final Object reloadLock = new Object();

    ProcessSignals(GatehouseServer server, Path configPath, Runnable flushLogs) {
        this.server = server;
        this.configPath = configPath;
        this.flushLogs = flushLogs;
    }

    void install() {
        Signal.handle(new Signal("TERM"), signal -> stop(signal.getName()));
        Signal.handle(new Signal("INT"), signal -> stop(signal.getName()));
        Signal.handle(new Signal("HUP"), signal -> startThread("gatehouse-reload", this::reload));
    }

    private void stop(String signal) {
        if (!stopping.compareAndSet(false, true)) {
            System.err.println("gatehouse: second SIG" + signal + ", exiting now");
            Runtime.getRuntime().halt(1);
            return;
        }
        startThread("gatehouse-shutdown", () -> {
            GatewayConfig config = server.config().config();
            LOG.info("SIG{}: draining (up to {})", signal, Durations.format(config.server().shutdownTimeout()));
            int cut = server.shutdown(config.server().shutdownTimeout());
            LOG.info("stopped{}", cut == 0 ? "" : "; " + cut + " connection(s) cut at the deadline");
            flushLogs.run();
            Runtime.getRuntime().halt(0);
        });
    }

    /** Loads, validates and swaps in the config file; on any problem keeps the running config. */
    void reload() {
        synchronized (reloadLock) {
            GatewayConfig next;
            try {
                next = ConfigLoader.load(configPath);
            } catch (ConfigException e) {
                LOG.error("reload refused, the running config is kept:\n{}", e.getMessage());
                server.reloadFailed(e.getMessage());
                return;
            }
            GatewayConfig current = server.config().config();
            try {
                server.reload(next);
            } catch (RuntimeException e) {
                LOG.error("reload refused, the running config is kept: {}", e.getMessage());
                return;
            }
            LOG.info("config reloaded from {} ({} routes, {} API keys)", configPath, next.routes().size(),
                    next.auth().keys().size());
            warnAboutRestartOnly(current, next);
        }
    }

    private static void warnAboutRestartOnly(GatewayConfig current, GatewayConfig next) {
        var was = current.server();
        var now = next.server();
        if (!was.host().equals(now.host()) || was.port() != now.port() || was.ioThreads() != now.ioThreads()
                || was.transport() != now.transport()) {
            LOG.warn("server.host, server.port, server.io_threads and server.transport take effect after a restart");
        }
        if (!current.rateLimit().sameStore(next.rateLimit())) {
            LOG.warn("rate_limit.store and rate_limit.redis take effect after a restart");
        }
        if (!current.operations().admin().equals(next.operations().admin())) {
            LOG.warn("admin.host and admin.port take effect after a restart");
        }
        if (!current.backend().equals(next.backend())) {
            LOG.warn("backend pool settings take effect after a restart");
        }
    }

    private static void startThread(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(false);
        thread.start();
    }
}
