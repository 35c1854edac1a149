package io.gatehouse.reload;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Tells its listener when the config file may have changed. It watches directories, not the file: an editor that
 * writes a temporary file and renames it over the old one replaces the file (a watch on it would stay on the old,
 * deleted one), and Kubernetes updates a mounted ConfigMap by flipping the {@code ..data} symlink beside it, which
 * changes no event's name but {@code ..data}. So it watches the file's directory — an event for the file's name, for
 * a {@code ..}-name, or for anything when the file is a symlink — and the directory of the file the path resolves
 * to, for an edit made at the end of a symlink chain. The directories are worked out again after every change.
 * <p>
 * The listener is called on the watcher's own thread, once per batch of events; it only has to say "look again":
 * whether the content changed is decided by its hash, after a debounce ({@link ConfigReloader}).
 */
public final class ConfigWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);

    private final Path file;
    private final Runnable listener;
    private final WatchService service;
    private final Map<WatchKey, Path> keys = new HashMap<>();
    private final Thread thread;
    private volatile boolean closed;

    private ConfigWatcher(Path file, Runnable listener) throws IOException {
        this.file = file.toAbsolutePath().normalize();
        this.listener = listener;
        this.service = FileSystems.getDefault().newWatchService();
        register();
        this.thread = new Thread(this::run, "gatehouse-config-watch");
        thread.setDaemon(true);
    }

    /** Starts watching {@code file}; {@code listener} runs on the watcher's thread after each change. */
    public static ConfigWatcher start(Path file, Runnable listener) throws IOException {
        ConfigWatcher watcher = new ConfigWatcher(file, listener);
        watcher.thread.start();
        return watcher;
    }

    /** The directories the events of {@link #file} can show up in: its own, and its resolved target's. */
    private Set<Path> directories() {
        Set<Path> dirs = new LinkedHashSet<>();
        dirs.add(file.getParent());
        try {
            Path real = file.toRealPath();
            dirs.add(real.getParent());
        } catch (IOException e) {
            // Missing for a moment (between a delete and a create), or unreadable: its own directory will tell.
        }
        return dirs;
    }

    /** Watches {@link #directories()} and stops watching directories that are no longer among them. */
    private void register() throws IOException {
        Set<Path> wanted = directories();
        keys.entrySet().removeIf(entry -> {
            if (!entry.getKey().isValid() || !wanted.contains(entry.getValue())) {
                entry.getKey().cancel();
                return true;
            }
            return false;
        });
        for (Path dir : wanted) {
            if (!keys.containsValue(dir) && Files.isDirectory(dir)) {
                WatchKey key = dir.register(service, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
                keys.put(key, dir);
            }
        }
        if (keys.isEmpty()) {
            throw new IOException("cannot watch " + file.getParent() + ": not a directory");
        }
    }

    private void run() {
        while (!closed) {
            WatchKey key;
            try {
                key = service.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            boolean relevant = false;
            Path dir = keys.get(key);
            for (WatchEvent<?> event : key.pollEvents()) {
                relevant |= dir != null && relevant(dir, event);
            }
            key.reset();
            if (closed) {
                return;
            }
            if (relevant) {
                try {
                    register();
                } catch (IOException | RuntimeException e) {
                    LOG.warn("watching {} for changes: {}", file, e.getMessage());
                }
                listener.run();
            }
        }
    }

    private boolean relevant(Path dir, WatchEvent<?> event) {
        if (event.kind() == StandardWatchEventKinds.OVERFLOW || !(event.context() instanceof Path name)) {
            return true;
        }
        String changed = name.toString();
        if (dir.equals(file.getParent())) {
            return changed.equals(file.getFileName().toString()) || changed.startsWith("..")
                    || Files.isSymbolicLink(file);
        }
        // The directory of the resolved file: only that file counts.
        try {
            return changed.equals(file.toRealPath().getFileName().toString());
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            service.close();
        } catch (IOException e) {
            LOG.debug("closing the config watch: {}", e.toString());
        }
        thread.interrupt();
    }
}
