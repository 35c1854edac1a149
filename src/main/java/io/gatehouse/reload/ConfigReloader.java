package io.gatehouse.reload;

import io.gatehouse.config.ConfigException;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.GatewayConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The config thread: every reload of {@code gateway.yaml}, whatever asked for it, runs here, one at a time — read
 * the file, compare its SHA-256 with the running config's, parse and validate it, and hand it to the gateway
 * ({@link Reloadable#apply}), which compiles and publishes it. The event loops never wait for any of this.
 * <ul>
 *   <li>A file change ({@link #fileChanged}, from {@link ConfigWatcher}) is debounced: the reload runs
 *       {@link #DEBOUNCE} after the last change of a burst, and at most {@link #MAX_DELAY} after its first, so an
 *       editor's write-then-rename is one reload and a file that keeps changing is still picked up.</li>
 *   <li>An explicit request ({@link #request}: SIGHUP, the admin {@code POST /reload}) runs at once, and its future
 *       tells how it went.</li>
 *   <li>Triggers coalesce: any number arriving while a reload is queued share it; one arriving while a reload runs
 *       gets the next one (the file may have changed after the running one read it), never one each.</li>
 *   <li>A file with the running config's content is not a reload ({@code unchanged}); a file that was refused is
 *       not refused (and logged) again on every change event, only when its content changes or on request.</li>
 * </ul>
 */
public final class ConfigReloader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigReloader.class);

    /** Quiet time after a file change before reloading. */
    public static final Duration DEBOUNCE = Duration.ofMillis(250);
    /** The longest a change waits while the file keeps changing. */
    public static final Duration MAX_DELAY = Duration.ofSeconds(1);

    private final Path file;
    private final Reloadable target;
    private final long debounceNanos;
    private final long maxDelayNanos;
    private final ScheduledExecutorService thread;

    private final Object lock = new Object();
    // Guarded by lock: what the next reload answers and was asked for by.
    private List<CompletableFuture<ReloadOutcome>> waiting = new ArrayList<>();
    private final Set<String> triggers = new LinkedHashSet<>();
    private boolean queued;
    private boolean explicit;
    private ScheduledFuture<?> debounce;
    private long burstStartNanos;
    private boolean closed;

    // Touched only on the config thread.
    /** The content (its SHA-256, or {@code read:} and the error) last refused, and why. */
    private String lastRefused;
    private String lastError;
    private AutoCloseable watcher;
    /** While watching: the look at the other files the config names. */
    private ScheduledFuture<?> otherFilesPoll;
    private java.util.Map<Path, String> otherStamps = java.util.Map.of();
    private boolean otherFilesChanging;
    private final Watching watching;

    /** Starts the watch of a file; {@link ConfigWatcher#start} but in tests. */
    interface Watching {
        AutoCloseable start(Path file, Runnable onChange) throws IOException;
    }

    private ConfigReloader(Path file, Reloadable target, Duration debounce, Duration maxDelay, Watching watching) {
        this.file = file;
        this.target = target;
        this.watching = watching;
        this.debounceNanos = debounce.toNanos();
        this.maxDelayNanos = maxDelay.toNanos();
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "gatehouse-config");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        this.thread = executor;
    }

    /**
     * Reloads {@code target} from {@code file} on request, and on every change of the file while {@code watch}
     * (the running config's {@code server.watch_config}); a reload that changes that setting starts or stops the
     * watch.
     */
    public static ConfigReloader start(Path file, Reloadable target, boolean watch) {
        return start(file, target, watch, DEBOUNCE, MAX_DELAY);
    }

    /** With another debounce, for tests. */
    static ConfigReloader start(Path file, Reloadable target, boolean watch, Duration debounce, Duration maxDelay) {
        return start(file, target, watch, debounce, maxDelay, ConfigWatcher::start);
    }

    /** With another way to watch, for tests. */
    static ConfigReloader start(Path file, Reloadable target, boolean watch, Duration debounce, Duration maxDelay,
                                Watching watching) {
        ConfigReloader reloader = new ConfigReloader(file, target, debounce, maxDelay, watching);
        if (watch) {
            try {
                reloader.thread.submit(() -> reloader.watch(true)).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException e) {
                LOG.warn("cannot watch {}: {}", file, e.getCause().toString());
            }
        }
        return reloader;
    }

    /** The file this reloads from. */
    public Path file() {
        return file;
    }

    /** Whether the file is being watched now; for tests and the log. */
    public boolean watching() {
        try {
            return thread.submit(() -> watcher != null).get();
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * Reloads as soon as the config thread is free; {@code trigger} names the requester in the log
     * ({@code "SIGHUP"}, {@code "POST /reload"}). The future completes, on the config thread, with the outcome of
     * the reload that read the file after this call.
     */
    public CompletableFuture<ReloadOutcome> request(String trigger) {
        CompletableFuture<ReloadOutcome> outcome = new CompletableFuture<>();
        synchronized (lock) {
            if (closed) {
                outcome.complete(stopping());
                return outcome;
            }
            waiting.add(outcome);
            triggers.add(trigger);
            explicit = true;
            if (debounce != null) {
                debounce.cancel(false);
                debounce = null;
            }
            queue();
        }
        return outcome;
    }

    /** The file (or its directory) changed: reload once the changes have settled. From any thread. */
    public void fileChanged() {
        synchronized (lock) {
            if (closed || queued) {
                return; // the queued reload has not read the file yet
            }
            long now = System.nanoTime();
            if (debounce == null) {
                burstStartNanos = now;
            } else {
                debounce.cancel(false);
            }
            long delay = Math.max(0, Math.min(debounceNanos, burstStartNanos + maxDelayNanos - now));
            try {
                debounce = thread.schedule(this::settled, delay, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                debounce = null;
            }
        }
    }

    private void settled() {
        synchronized (lock) {
            debounce = null;
            triggers.add("a file change");
            queue();
        }
    }

    /** Under the lock: makes sure one reload is queued on the config thread. */
    private void queue() {
        if (queued) {
            return;
        }
        queued = true;
        try {
            thread.execute(this::run);
        } catch (RejectedExecutionException e) {
            queued = false;
        }
    }

    private void run() {
        List<CompletableFuture<ReloadOutcome>> answering;
        boolean asked;
        String by;
        synchronized (lock) {
            queued = false;
            answering = waiting;
            waiting = new ArrayList<>();
            asked = explicit;
            explicit = false;
            by = String.join(" and ", triggers);
            triggers.clear();
        }
        ReloadOutcome outcome;
        try {
            outcome = reloadOnce(asked, by);
        } catch (RuntimeException | Error e) {
            LOG.error("reload failed unexpectedly, the running config is kept", e);
            outcome = new ReloadOutcome(ReloadOutcome.Result.FAILURE, target.generation(), target.runningSha256(),
                    "internal error: " + e);
        }
        for (CompletableFuture<ReloadOutcome> future : answering) {
            future.complete(outcome);
        }
    }

    private ReloadOutcome reloadOnce(boolean asked, String by) {
        String text;
        try {
            text = ConfigLoader.read(file);
        } catch (ConfigException e) {
            return refused(asked, "read:" + e.getMessage(), e.getMessage());
        }
        String sha = ConfigLoader.sha256(text);
        boolean renewable = asked && !target.otherFiles().isEmpty();
        if (sha.equals(target.runningSha256()) && renewable) {
            LOG.info("reload on {}: {} is unchanged; reading the certificate, key and key-set files it names again",
                    by, file);
        } else if (sha.equals(target.runningSha256())) {
            lastRefused = null;
            target.unchanged();
            if (asked) {
                LOG.info("reload on {}: {} is unchanged (sha256 {}), nothing to do", by, file, shortSha(sha));
            } else {
                LOG.debug("{} saved without a change (sha256 {})", file, shortSha(sha));
            }
            return outcome(ReloadOutcome.Result.UNCHANGED, null);
        }
        if (!asked && sha.equals(lastRefused)) {
            LOG.debug("{} changed on disk but is still the file refused before", file);
            return outcome(ReloadOutcome.Result.FAILURE, lastError);
        }
        GatewayConfig next;
        try {
            next = ConfigLoader.parse(text, file.toString());
        } catch (ConfigException e) {
            return refused(asked, sha, e.getMessage());
        }
        try {
            target.apply(next);
        } catch (RuntimeException e) {
            String message = e.getMessage() == null ? e.toString() : e.getMessage();
            LOG.error("reload refused, the running config is kept: {}", message);
            lastRefused = sha;
            lastError = message;
            return outcome(ReloadOutcome.Result.FAILURE, message);
        }
        lastRefused = null;
        lastError = null;
        LOG.info("config reloaded from {} ({} routes, {} API keys): generation {}, sha256 {}, on {}", file,
                next.routes().size(), next.auth().keys().size(), target.generation(), shortSha(sha), by);
        watch(next.server().watchConfig());
        return outcome(ReloadOutcome.Result.SUCCESS, null);
    }

    /** A file that cannot be read or does not validate; logged and recorded once per content, or per request. */
    private ReloadOutcome refused(boolean asked, String identity, String message) {
        if (asked || !identity.equals(lastRefused)) {
            LOG.error("reload refused, the running config is kept:\n{}", message);
            target.refused(message);
        } else {
            LOG.debug("{} changed on disk but is still the file refused before", file);
        }
        lastRefused = identity;
        lastError = message;
        return outcome(ReloadOutcome.Result.FAILURE, message);
    }

    private ReloadOutcome outcome(ReloadOutcome.Result result, String error) {
        return new ReloadOutcome(result, target.generation(), target.runningSha256(), error);
    }

    private ReloadOutcome stopping() {
        return new ReloadOutcome(ReloadOutcome.Result.FAILURE, target.generation(), target.runningSha256(),
                "the gateway is stopping");
    }

    /** Starts or stops the watch; on the config thread. */
    private void watch(boolean on) {
        if (on && otherFilesPoll == null) {
            otherStamps = stamps(target.otherFiles());
            otherFilesPoll = thread.scheduleWithFixedDelay(this::lookAtOtherFiles, POLL.toNanos(), POLL.toNanos(),
                    TimeUnit.NANOSECONDS);
        } else if (!on && otherFilesPoll != null) {
            otherFilesPoll.cancel(false);
            otherFilesPoll = null;
        }
        if (on && watcher == null) {
            try {
                watcher = watching.start(file, this::fileChanged);
                LOG.info("watching {} for changes", file);
            } catch (IOException | RuntimeException e) {
                // Typically the inotify limits (fs.inotify.max_user_instances, max_user_watches) of a busy host.
                watcher = new FilePoll();
                LOG.warn("cannot watch {} for changes ({}); looking at it every {} ms instead", file,
                        e.getMessage(), POLL.toMillis());
            }
        } else if (!on && watcher != null) {
            closeWatcher();
            LOG.info("no longer watching {} (server.watch_config: false)", file);
        }
    }

    private void closeWatcher() {
        if (watcher != null) {
            try {
                watcher.close();
            } catch (Exception e) {
                LOG.debug("stopping the config watch: {}", e.toString());
            }
            watcher = null;
        }
    }

    /**
     * Every {@link #POLL}, on the config thread: the certificate, key and key-set files the running config names.
     * A change is acted on once a look finds them as the one before (certbot writes the certificate and the key one
     * after the other), as an explicit reload, which reads them again.
     */
    private void lookAtOtherFiles() {
        java.util.Map<Path, String> now = stamps(target.otherFiles());
        boolean sameFiles = now.keySet().equals(otherStamps.keySet());
        if (!now.equals(otherStamps)) {
            otherStamps = now;
            // A reload that names other files is not a change of theirs: only a change of the same files counts.
            otherFilesChanging = sameFiles;
        } else if (otherFilesChanging) {
            otherFilesChanging = false;
            request("a change of " + String.join(", ", now.keySet().stream().map(Path::toString).toList()));
        }
    }

    private static java.util.Map<Path, String> stamps(java.util.List<Path> files) {
        java.util.Map<Path, String> stamps = new java.util.LinkedHashMap<>();
        for (Path file : files) {
            try {
                Path real = file.toRealPath();
                stamps.put(file, real + "|" + java.nio.file.Files.getLastModifiedTime(real).toMillis() + "|"
                        + java.nio.file.Files.size(real));
            } catch (IOException e) {
                stamps.put(file, "unreadable");
            }
        }
        return stamps;
    }

    /** How often {@link FilePoll} looks. */
    static final Duration POLL = Duration.ofSeconds(1);

    /**
     * The watch when the file system offers none: on the config thread, every {@link #POLL}, the file's resolved
     * path, modification time and size are compared with the last look; a difference is a change.
     */
    private final class FilePoll implements AutoCloseable {

        private final ScheduledFuture<?> task;
        private String last = stamp();

        FilePoll() {
            task = thread.scheduleWithFixedDelay(this::look, POLL.toNanos(), POLL.toNanos(), TimeUnit.NANOSECONDS);
        }

        private String stamp() {
            try {
                Path real = file.toRealPath();
                return real + "|" + java.nio.file.Files.getLastModifiedTime(real).toMillis() + "|"
                        + java.nio.file.Files.size(real);
            } catch (IOException e) {
                return "unreadable: " + e.getMessage();
            }
        }

        private void look() {
            String now = stamp();
            if (!now.equals(last)) {
                last = now;
                fileChanged();
            }
        }

        @Override
        public void close() {
            task.cancel(false);
        }
    }

    private static String shortSha(String sha) {
        return sha == null ? "-" : sha.substring(0, Math.min(12, sha.length()));
    }

    /** Stops watching and answers any reload still waiting with a failure; a reload in progress finishes first. */
    @Override
    public void close() {
        List<CompletableFuture<ReloadOutcome>> left;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            left = waiting;
            waiting = new ArrayList<>();
            if (debounce != null) {
                debounce.cancel(false);
            }
        }
        try {
            thread.submit(() -> {
                closeWatcher();
                watch(false);
            }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debug("stopping the config watch: {}", e.toString());
        }
        thread.shutdown();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (CompletableFuture<ReloadOutcome> future : left) {
            future.complete(stopping());
        }
    }
}
