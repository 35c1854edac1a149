package io.gatehouse.reload;

import io.gatehouse.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ways a config file changes on disk, each seen by the watcher: a write in place, a temporary file renamed over
 * it (most editors, {@code kubectl cp}, config management), and the Kubernetes ConfigMap symlink flip.
 */
class ConfigWatcherTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private ConfigWatcher watcher;
    private final AtomicInteger changes = new AtomicInteger();

    @AfterEach
    void close() {
        if (watcher != null) {
            watcher.close();
        }
    }

    private void awaitChange(int before, String what) {
        Await.until(WAIT, what, () -> changes.get() > before);
    }

    @Test
    void seesAWriteInPlace() throws Exception {
        Path file = Files.writeString(dir.resolve("gateway.yaml"), "a: 1\n");
        watcher = ConfigWatcher.start(file, changes::incrementAndGet);

        Files.writeString(file, "a: 2\n");

        awaitChange(0, "the write seen");
    }

    @Test
    void seesATemporaryFileRenamedOverIt() throws Exception {
        Path file = Files.writeString(dir.resolve("gateway.yaml"), "a: 1\n");
        watcher = ConfigWatcher.start(file, changes::incrementAndGet);

        for (int round = 0; round < 3; round++) {
            int before = changes.get();
            Path temp = Files.writeString(dir.resolve(".gateway.yaml.swp" + round), "a: " + round + "\n");
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            // Each rename replaces the file the watch would have been on: the directory watch sees every one.
            awaitChange(before, "rename " + round + " seen");
        }
    }

    /**
     * How the kubelet updates a mounted ConfigMap: {@code gateway.yaml -> ..data/gateway.yaml}, {@code ..data ->
     * ..2026_12_03_v1}; an update writes a new timestamped directory, points {@code ..data_tmp} at it and renames
     * that over {@code ..data}. No event names {@code gateway.yaml}.
     */
    @Test
    void seesAKubernetesConfigMapSymlinkFlip() throws Exception {
        Path v1 = Files.createDirectory(dir.resolve("..2026_12_03_v1"));
        Files.writeString(v1.resolve("gateway.yaml"), "a: 1\n");
        Files.createSymbolicLink(dir.resolve("..data"), v1.getFileName());
        Path file = Files.createSymbolicLink(dir.resolve("gateway.yaml"), Path.of("..data", "gateway.yaml"));
        watcher = ConfigWatcher.start(file, changes::incrementAndGet);

        Path previous = v1;
        for (int round = 2; round < 5; round++) {
            int before = changes.get();
            Path next = Files.createDirectory(dir.resolve("..2026_12_03_v" + round));
            Files.writeString(next.resolve("gateway.yaml"), "a: " + round + "\n");
            Path tmp = Files.createSymbolicLink(dir.resolve("..data_tmp"), next.getFileName());
            Files.move(tmp, dir.resolve("..data"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            Files.delete(previous.resolve("gateway.yaml"));
            Files.delete(previous);
            previous = next;

            awaitChange(before, "flip " + round + " seen");
            assertThat(Files.readString(file)).isEqualTo("a: " + round + "\n");
        }
    }

    @Test
    void seesAnEditAtTheEndOfASymlinkInAnotherDirectory() throws Exception {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Path target = Files.writeString(elsewhere.resolve("real.yaml"), "a: 1\n");
        Path configDir = Files.createDirectory(dir.resolve("etc"));
        Path file = Files.createSymbolicLink(configDir.resolve("gateway.yaml"), target);
        watcher = ConfigWatcher.start(file, changes::incrementAndGet);

        Files.writeString(target, "a: 2\n");

        awaitChange(0, "the edit of the link's target seen");
    }
}
