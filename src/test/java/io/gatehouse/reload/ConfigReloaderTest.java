package io.gatehouse.reload;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.testing.Await;
import io.gatehouse.testing.GatewayYaml;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The config thread without a gateway: hashes, refusals, coalescing and the debounce, against a fake target. */
class ConfigReloaderTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private ConfigReloader reloader;

    @AfterEach
    void close() {
        if (reloader != null) {
            reloader.close();
        }
    }

    /** Records what the reloader did to it; {@link #gate} holds every apply until opened. */
    static final class FakeGateway implements Reloadable {
        final List<GatewayConfig> applied = new ArrayList<>();
        final List<String> refusals = new ArrayList<>();
        final AtomicInteger unchanged = new AtomicInteger();
        volatile CountDownLatch gate = new CountDownLatch(0);
        final CountDownLatch applying = new CountDownLatch(1);
        volatile String sha;
        volatile long generation = 1;

        FakeGateway(String runningYaml) {
            this.sha = ConfigLoader.sha256(runningYaml);
        }

        @Override
        public String runningSha256() {
            return sha;
        }

        @Override
        public long generation() {
            return generation;
        }

        @Override
        public void apply(GatewayConfig next) {
            applying.countDown();
            try {
                assertThat(gate.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            synchronized (this) {
                applied.add(next);
            }
            sha = next.operations().sourceSha256();
            generation++;
        }

        @Override
        public synchronized void refused(String message) {
            refusals.add(message);
        }

        @Override
        public void unchanged() {
            unchanged.incrementAndGet();
        }

        synchronized int appliedCount() {
            return applied.size();
        }

        synchronized int refusedCount() {
            return refusals.size();
        }
    }

    private static String yaml(String route) {
        return GatewayYaml.loopback().openRoute(route, "http://127.0.0.1:1").build();
    }

    private Path write(String yaml) throws Exception {
        Path file = dir.resolve("gateway.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    private static ReloadOutcome outcome(CompletableFuture<ReloadOutcome> future) throws Exception {
        return future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void aRequestAppliesAChangedFileAndReportsTheNewGeneration() throws Exception {
        FakeGateway gateway = new FakeGateway(yaml("/a"));
        Path file = write(yaml("/b"));
        reloader = ConfigReloader.start(file, gateway, false);

        ReloadOutcome result = outcome(reloader.request("test"));

        assertThat(result.result()).isEqualTo(ReloadOutcome.Result.SUCCESS);
        assertThat(result.generation()).isEqualTo(2);
        assertThat(result.sha256()).isEqualTo(ConfigLoader.sha256(yaml("/b")));
        assertThat(gateway.applied).singleElement().satisfies(c -> assertThat(c.routes().get(0).prefix())
                .isEqualTo("/b"));
    }

    @Test
    void theRunningContentIsNotAReload() throws Exception {
        FakeGateway gateway = new FakeGateway(yaml("/a"));
        Path file = write(yaml("/a"));
        reloader = ConfigReloader.start(file, gateway, false);

        ReloadOutcome result = outcome(reloader.request("test"));

        assertThat(result.result()).isEqualTo(ReloadOutcome.Result.UNCHANGED);
        assertThat(result.generation()).isEqualTo(1);
        assertThat(gateway.applied).isEmpty();
        assertThat(gateway.unchanged).hasValue(1);
    }

    @Test
    void anInvalidFileIsRefusedWithItsPlaceAndNothingIsApplied() throws Exception {
        FakeGateway gateway = new FakeGateway(yaml("/a"));
        Path file = write(yaml("/a") + "  - prefix: nope\n");
        reloader = ConfigReloader.start(file, gateway, false);

        ReloadOutcome result = outcome(reloader.request("test"));

        assertThat(result.result()).isEqualTo(ReloadOutcome.Result.FAILURE);
        assertThat(result.error()).startsWith(file + ":");
        assertThat(result.generation()).isEqualTo(1);
        assertThat(gateway.applied).isEmpty();
        assertThat(gateway.refusals).containsExactly(result.error());
    }

    @Test
    void aRefusedFileIsRecordedOncePerContentOnChangesButAgainOnEveryRequest() throws Exception {
        FakeGateway gateway = new FakeGateway(yaml("/a"));
        Path file = write("routes: [");
        reloader = ConfigReloader.start(file, gateway, false, Duration.ZERO, Duration.ZERO);

        assertThat(outcome(reloader.request("first")).result()).isEqualTo(ReloadOutcome.Result.FAILURE);
        assertThat(outcome(reloader.request("second")).result()).isEqualTo(ReloadOutcome.Result.FAILURE);
        assertThat(gateway.refusedCount()).as("each request is answered afresh").isEqualTo(2);

        // Change events for the same refused content record nothing more; a request after them proves they ran.
        reloader.fileChanged();
        reloader.fileChanged();
        // Replaced in one step: the change events above may still be handled, and must not read a half-written file.
        Path next = dir.resolve("gateway.yaml.next");
        Files.writeString(next, "routes: [ {");
        Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        reloader.fileChanged();
        Await.until(WAIT, "the changed broken file refused", () -> gateway.refusedCount() == 3);
        reloader.fileChanged();
        assertThat(outcome(reloader.request("third")).result()).isEqualTo(ReloadOutcome.Result.FAILURE);
        assertThat(gateway.refusedCount()).isEqualTo(4);
        assertThat(gateway.applied).isEmpty();
    }

    @Test
    void requestsDuringAReloadShareOneMoreReload() throws Exception {
        FakeGateway gateway = new FakeGateway(yaml("/a"));
        gateway.gate = new CountDownLatch(1);
        Path file = write(yaml("/b"));
        reloader = ConfigReloader.start(file, gateway, false);

        CompletableFuture<ReloadOutcome> first = reloader.request("first");
        assertThat(gateway.applying.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        // The first reload read /b and is being applied; the file changes under it, and triggers pile up.
        Files.writeString(file, yaml("/c"));
        List<CompletableFuture<ReloadOutcome>> later = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            later.add(reloader.request("later-" + i));
            reloader.fileChanged();
        }
        gateway.gate.countDown();

        assertThat(outcome(first).generation()).isEqualTo(2);
        for (CompletableFuture<ReloadOutcome> future : later) {
            ReloadOutcome result = outcome(future);
            assertThat(result.result()).isEqualTo(ReloadOutcome.Result.SUCCESS);
            assertThat(result.generation()).as("all ten answered by the same reload").isEqualTo(3);
        }
        assertThat(gateway.applied).extracting(c -> c.routes().get(0).prefix()).containsExactly("/b", "/c");
    }

    @Test
    void aBurstOfChangesIsOneReloadOnceItSettles() throws Exception {
        FakeGateway gateway = new FakeGateway(yaml("/a"));
        Path file = write(yaml("/a"));
        // A long debounce, so that the burst below is surely inside it however slow this machine is.
        reloader = ConfigReloader.start(file, gateway, false, Duration.ofSeconds(2), Duration.ofSeconds(30));

        for (int i = 0; i < 20; i++) {
            Files.writeString(file, yaml("/v" + i));
            reloader.fileChanged();
        }
        Await.until(WAIT, "the burst reloaded", () -> gateway.appliedCount() == 1);
        assertThat(outcome(reloader.request("after")).result()).isEqualTo(ReloadOutcome.Result.UNCHANGED);
        assertThat(gateway.applied).singleElement().satisfies(c -> assertThat(c.routes().get(0).prefix())
                .isEqualTo("/v19"));
    }

    @Test
    void aFileThatKeepsChangingIsStillReloadedWithinTheMaximumDelay() throws Exception {
        FakeGateway gateway = new FakeGateway(yaml("/a"));
        Path file = write(yaml("/b"));
        // The quiet period never comes (each change is well inside it); the maximum delay still lets it through.
        reloader = ConfigReloader.start(file, gateway, false, Duration.ofHours(1), Duration.ofMillis(300));

        int changes = 0;
        while (gateway.appliedCount() == 0 && changes < 100_000) {
            reloader.fileChanged();
            changes++;
            Thread.sleep(1);
        }
        assertThat(gateway.appliedCount()).isEqualTo(1);
    }

    @Test
    void withoutAFileSystemWatchTheFileIsLookedAtEverySecond() throws Exception {
        FakeGateway gateway = new FakeGateway(yaml("/a"));
        Path file = write(yaml("/a"));
        reloader = ConfigReloader.start(file, gateway, true, Duration.ZERO, Duration.ZERO, (f, onChange) -> {
            throw new java.io.IOException("User limit of inotify instances reached or too many open files");
        });
        assertThat(reloader.watching()).isTrue();

        Files.writeString(file, yaml("/a-longer-route"));

        Await.until(WAIT, "the change seen by looking", () -> gateway.appliedCount() == 1);
        assertThat(gateway.applied.get(0).routes().get(0).prefix()).isEqualTo("/a-longer-route");
    }

    @Test
    void closingAnswersWaitingRequests() throws Exception {
        FakeGateway gateway = new FakeGateway(yaml("/a"));
        Path file = write(yaml("/a"));
        reloader = ConfigReloader.start(file, gateway, false);
        reloader.close();

        assertThat(outcome(reloader.request("late")).error()).isEqualTo("the gateway is stopping");
    }
}
