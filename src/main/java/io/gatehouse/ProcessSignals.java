package io.gatehouse;

import io.gatehouse.config.Durations;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.reload.ConfigReloader;
import io.gatehouse.server.GatehouseServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What the process does on signals. SIGTERM or SIGINT: drain (stop accepting, finish requests in flight within
 * {@code server.shutdown_timeout}, flush the access log) and exit 0; a second one exits at once. SIGHUP: reload
 * {@code gateway.yaml} on the config thread ({@link ConfigReloader}), as a change of the file or the admin
 * {@code POST /reload} does — a file that does not validate is refused and the running config is kept.
 * <p>
 * The JVM's own SIGTERM handling would run shutdown hooks and then exit 143, and offers no way to tell a second
 * signal from the first, hence {@code sun.misc.Signal}.
 */
final class ProcessSignals {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessSignals.class);

    private final GatehouseServer server;
    private final ConfigReloader reloader;
    private final Runnable flushLogs;
    private final AtomicBoolean stopping = new AtomicBoolean();

    ProcessSignals(GatehouseServer server, ConfigReloader reloader, Runnable flushLogs) {
        this.server = server;
        this.reloader = reloader;
        this.flushLogs = flushLogs;
    }

    void install() {
        Signal.handle(new Signal("TERM"), signal -> stop(signal.getName()));
        Signal.handle(new Signal("INT"), signal -> stop(signal.getName()));
        // Only queues the reload: the config thread reads, validates and swaps, and logs the outcome.
        Signal.handle(new Signal("HUP"), signal -> reloader.request("SIGHUP"));
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

    private static void startThread(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(false);
        thread.start();
    }
}
