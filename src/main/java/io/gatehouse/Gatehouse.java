package io.gatehouse;

import ch.qos.logback.classic.LoggerContext;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.pipeline.AccessLogWriter;
import io.gatehouse.pipeline.Filters;
import io.gatehouse.ratelimit.LocalRateLimiter;
import io.gatehouse.config.ConfigException;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.server.GatehouseServer;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Properties;

/**
 * The command line: {@code java -jar gatehouse.jar [--config PATH] [--check] [--help] [--version]}. Loads and
 * validates the config before binding anything, starts the gateway; {@link ProcessSignals} drains it on SIGTERM and
 * reloads the config on SIGHUP.
 */
public final class Gatehouse {

    static final int EXIT_OK = 0;
    static final int EXIT_USAGE = 64;
    static final int EXIT_CONFIG = 2;
    static final int EXIT_START = 1;

    private Gatehouse() {
    }

    /** Set once the gateway is serving; then only a signal ends the process (see {@link ProcessSignals}). */
    private static volatile boolean running;

    public static void main(String[] args) throws InterruptedException {
        int code = run(args, System.out, System.err);
        if (code != EXIT_OK || !running) {
            flushLogs();
            System.exit(code);
        }
        // Event-loop threads are daemons: the main thread keeps the process alive until a signal halts it.
        Thread.currentThread().join();
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Path configPath = Path.of("gateway.yaml");
        boolean check = false;
        boolean verbose = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--help", "-h" -> {
                    out.print(usage());
                    return EXIT_OK;
                }
                case "--version" -> {
                    out.println("gatehouse " + version());
                    return EXIT_OK;
                }
                case "--check" -> check = true;
                case "--verbose", "-v" -> verbose = true;
                case "--config", "-c" -> {
                    if (i + 1 >= args.length) {
                        err.println("gatehouse: --config needs a path");
                        return EXIT_USAGE;
                    }
                    configPath = Path.of(args[++i]);
                }
                default -> {
                    if (args[i].startsWith("--config=")) {
                        configPath = Path.of(args[i].substring("--config=".length()));
                    } else {
                        err.println("gatehouse: unknown option '" + args[i] + "'");
                        err.print(usage());
                        return EXIT_USAGE;
                    }
                }
            }
        }

        if (verbose && !check) {
            err.println("gatehouse: --verbose goes with --check");
            err.print(usage());
            return EXIT_USAGE;
        }

        GatewayConfig config;
        try {
            config = ConfigLoader.load(configPath);
        } catch (ConfigException e) {
            for (String problem : e.problems()) {
                err.println(problem);
            }
            return EXIT_CONFIG;
        }
        if (check) {
            // What a reload does with the file, short of swapping it in: read, validate (above) and compile the
            // chains as the server does; a local limiter stands in for the store, which --check does not connect to.
            RuntimeConfig snapshot = Filters.compile(config, new LocalRateLimiter(System::nanoTime));
            out.println(configPath + ": OK (" + config.routes().size() + " routes, " + config.auth().keys().size()
                    + " API keys)");
            if (verbose) {
                for (String line : Filters.describe(snapshot)) {
                    out.println("  " + line);
                }
            }
            return EXIT_OK;
        }

        GatehouseServer server;
        try {
            server = GatehouseServer.start(config);
        } catch (Exception e) {
            err.println("gatehouse: cannot start on " + config.server().host() + ":" + config.server().port()
                    + ": " + e.getMessage());
            return EXIT_START;
        }
        running = true;
        new ProcessSignals(server, server.reloadFrom(configPath), Gatehouse::flushLogs).install();
        return EXIT_OK;
    }

    static String usage() {
        return """
                Usage: java -jar gatehouse.jar [--config PATH] [--check [--verbose]] [--help] [--version]

                  --config PATH  the configuration file (default: ./gateway.yaml)
                  --check        validate the configuration and exit: 0 when valid, 2 with the errors
                  --verbose      with --check: print the filters each route's requests run through
                  --help         print this help
                  --version      print the version
                """;
    }

    static String version() {
        try (InputStream in = Gatehouse.class.getResourceAsStream("/gatehouse-version.properties")) {
            Properties properties = new Properties();
            if (in != null) {
                properties.load(in);
            }
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Writes out the queued access lines, then stops logging, which flushes the appenders. */
    private static void flushLogs() {
        AccessLogWriter.drainAndStop(5_000);
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            context.stop();
        }
    }
}
