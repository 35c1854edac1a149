package io.gatehouse.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The packaged {@code gatehouse.jar} run as its own process, the way a user runs it: {@code java -Xmx64m
 * -Dio.netty.leakDetection.level=paranoid -jar gatehouse.jar --config <file>}, plus any extra JVM arguments.
 * Standard output and error are read on background threads into memory (so the process never blocks on a full
 * pipe, and a test can wait for a line); {@link #stop()} sends SIGTERM, waits for the exit and fails when the
 * output holds a Netty leak report or an {@code OutOfMemoryError}.
 * <p>
 * The jar is the one failsafe names in the {@code gatehouse.jar} system property, so these are {@code *IT} tests.
 */
public final class ForkedGateway implements AutoCloseable {

    /** Heap cap and leak detection every forked gateway runs with, before the extra JVM arguments. */
    public static final List<String> DEFAULT_JVM_ARGS = List.of("-Xmx64m",
            "-Dio.netty.leakDetection.level=paranoid", "-XX:+ExitOnOutOfMemoryError");

    private static final Pattern LISTENING = Pattern.compile("Gatehouse listening on \\S+:(\\d+) ");
    private static final List<String> FAILURE_MARKERS = List.of("LEAK:", "OutOfMemoryError",
            "OutOfDirectMemoryError");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final Output stdout;
    private final Output stderr;
    private final Path configFile;
    private int port = -1;
    private Integer exitCode;

    private ForkedGateway(Process process, Path configFile) {
        this.process = process;
        this.configFile = configFile;
        this.stdout = new Output(process.getInputStream(), "stdout-" + process.pid());
        this.stderr = new Output(process.getErrorStream(), "stderr-" + process.pid());
    }

    /** Starts a gateway on {@code yaml} and waits until it listens. */
    public static ForkedGateway start(String yaml, String... extraJvmArgs) {
        ForkedGateway gateway = launch(yaml, List.of(extraJvmArgs));
        gateway.awaitListening();
        return gateway;
    }

    /**
     * Starts {@code java -jar gatehouse.jar} with exactly these program arguments (no config file is written) and
     * returns at once; for command-line tests that wait for the exit with {@link #awaitExit}.
     */
    public static ForkedGateway run(String... args) {
        return new ForkedGateway(spawn(List.of(), List.of(args)), null);
    }

    /** Starts a gateway on {@code yaml} and returns at once, without waiting for it to listen. */
    public static ForkedGateway launch(String yaml, List<String> extraJvmArgs) {
        Path config;
        try {
            config = Files.createTempFile("gatehouse-", ".yaml");
            Files.writeString(config, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ForkedGateway(spawn(extraJvmArgs, List.of("--config", config.toString())), config);
    }

    private static Process spawn(List<String> extraJvmArgs, List<String> programArgs) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(DEFAULT_JVM_ARGS);
        command.addAll(extraJvmArgs);
        command.add("-jar");
        command.add(jar().toString());
        command.addAll(programArgs);
        try {
            return new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** The packaged jar, as failsafe passes it. */
    public static Path jar() {
        String property = System.getProperty("gatehouse.jar");
        if (property == null) {
            throw new IllegalStateException("system property gatehouse.jar is not set: run this test with "
                    + "'mvn verify' (failsafe), after the package phase has built target/gatehouse.jar");
        }
        Path jar = Path.of(property);
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " does not exist: the package phase builds it");
        }
        return jar;
    }

    /** Waits for the "listening on" line and remembers the port; fails if the process exits first. */
    private void awaitListening() {
        Optional<Matcher> line = stderr.await(LISTENING, 1, START_TIMEOUT);
        if (line.isEmpty()) {
            String why;
            try {
                // The output ends just before the process is reaped: give the exit code a moment to arrive.
                why = process.waitFor(5, TimeUnit.SECONDS) ? "exited with " + process.exitValue() + " before listening"
                        : "did not log 'listening on' within " + START_TIMEOUT;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                why = "was interrupted while starting";
            }
            process.destroyForcibly();
            deleteConfigFile();
            throw new AssertionError("forked gateway " + why + "\n" + describeOutput());
        }
        port = Integer.parseInt(line.get().group(1));
    }

    public int port() {
        if (port < 0) {
            throw new IllegalStateException("the gateway has not logged its port");
        }
        return port;
    }

    public long pid() {
        return process.pid();
    }

    /** The config file the gateway was started with ({@code --config}); null for {@link #run}. */
    public Path configFile() {
        return configFile;
    }

    /**
     * Replaces the config file's content in one step (written beside it, then renamed over it), so a reload never
     * sees half a file; the gateway reads it on the next SIGHUP.
     */
    public void rewriteConfig(String yaml) {
        try {
            Path next = Files.writeString(configFile.resolveSibling(configFile.getFileName() + ".next"), yaml);
            Files.move(next, configFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Sends a signal ({@code "HUP"}, {@code "TERM"}, {@code "INT"}) with {@code kill -s NAME <pid>}. */
    public void signal(String name) {
        try {
            Process kill = new ProcessBuilder("kill", "-s", name, Long.toString(process.pid()))
                    .redirectErrorStream(true).start();
            String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new AssertionError("kill -s " + name + " " + process.pid() + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while sending SIG" + name, e);
        }
    }

    /**
     * Waits until standard error holds {@code occurrence} lines containing {@code text} (1 for the first) and returns
     * the last of them; fails with the output when it does not appear within {@code timeout}.
     */
    public String awaitStderrLine(String text, int occurrence, Duration timeout) {
        return stderr.await(Pattern.compile(".*" + Pattern.quote(text) + ".*"), occurrence, timeout)
                .map(Matcher::group)
                .orElseThrow(() -> new AssertionError("no " + (occurrence == 1 ? "" : "#" + occurrence + " ")
                        + "line containing '" + text + "' on stderr within " + timeout + "\n" + describeOutput()));
    }

    /**
     * The peak resident set size of the process so far ({@code VmHWM} of {@code /proc/<pid>/status}), in KiB; -1
     * where /proc is not available.
     */
    public long peakResidentKib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(process.pid()), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // no /proc on this system, or the process is gone
        }
        return -1;
    }

    /**
     * Runs a full garbage collection in the gateway ({@code jcmd <pid> GC.run}), so that Netty's leak detector sees
     * the buffers that were dropped without a release; it reports them at the next buffer allocation.
     */
    public void collectGarbage() {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) {
            return;
        }
        try {
            Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(process.pid()), "GC.run")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!gc.waitFor(30, TimeUnit.SECONDS)) {
                gc.destroyForcibly();
                throw new AssertionError("jcmd GC.run did not finish within 30 s");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * Makes a leaked buffer show up in the output before {@link #stop()} looks for it: a full collection finds the
     * buffers that were dropped unreleased, and the detector reports them when the next buffer is allocated, so
     * each collection is followed by a request. Twice, because references found by one collection are queued
     * for the detector only shortly after it.
     */
    public void triggerLeakDetection() throws IOException {
        if (!process.isAlive()) {
            return; // it died: stop() reports why from its output
        }
        for (int round = 0; round < 2; round++) {
            collectGarbage();
            try (RawHttpClient client = new RawHttpClient(port())) {
                client.send("GET /health HTTP/1.1\r\nHost: gatehouse\r\nConnection: close\r\n\r\n");
                int status = client.read().status();
                if (status != 200) {
                    throw new AssertionError("GET /health answered " + status + "\n" + describeOutput());
                }
            }
        }
    }

    /**
     * Sends SIGTERM, waits for the process to exit and for its output to end, and returns the exit code. Fails when
     * the process does not exit in time, or when its output reports a leak or an out-of-memory error.
     */
    public int stop() {
        if (process.isAlive()) {
            // SIGTERM through the handle: Process.destroy() also closes our ends of the output pipes, so what
            // the gateway writes while it drains (the access log flushed at shutdown) would be lost.
            process.toHandle().destroy();
        }
        int code = awaitExit(STOP_TIMEOUT);
        assertNoFailureReported();
        return code;
    }

    /** Waits for the process to exit by itself and for its output to end; returns the exit code. */
    public int awaitExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("forked gateway did not exit within " + timeout + "\n" + describeOutput());
            }
            stdout.awaitEnd(STOP_TIMEOUT);
            stderr.awaitEnd(STOP_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new AssertionError("interrupted while waiting for the forked gateway", e);
        }
        exitCode = process.exitValue();
        return exitCode;
    }

    /** The exit code; only after {@link #stop()} or {@link #awaitExit}. */
    public int exitCode() {
        if (exitCode == null) {
            throw new IllegalStateException("the gateway has not exited yet");
        }
        return exitCode;
    }

    /** Everything the process wrote to standard output so far. */
    public String stdout() {
        return stdout.text();
    }

    /** Everything the process wrote to standard error so far. */
    public String stderr() {
        return stderr.text();
    }

    /** Fails when the output so far holds a Netty leak report or an out-of-memory error. */
    public void assertNoFailureReported() {
        for (String marker : FAILURE_MARKERS) {
            if (stdout().contains(marker) || stderr().contains(marker)) {
                throw new AssertionError("forked gateway reported " + marker + "\n" + describeOutput());
            }
        }
    }

    /** The tail of both output streams, for a failure message. */
    public String describeOutput() {
        return "--- stdout of pid " + process.pid() + " ---\n" + tail(stdout()) + "--- stderr ---\n"
                + tail(stderr());
    }

    private static String tail(String text) {
        int max = 20_000;
        return text.length() <= max ? text : "[... " + (text.length() - max) + " chars ...]\n"
                + text.substring(text.length() - max);
    }

    /** Stops the process if it still runs (SIGTERM, then SIGKILL), and deletes the config file. */
    @Override
    public void close() {
        try {
            if (exitCode == null) {
                stop();
            }
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
            deleteConfigFile();
        }
    }

    private void deleteConfigFile() {
        if (configFile != null) {
            try {
                Files.deleteIfExists(configFile);
            } catch (IOException e) {
                // a temp file left behind is harmless
            }
        }
    }

    /**
     * One output stream of the process, read line by line on its own daemon thread so the process never blocks on
     * a full pipe; waiters are woken on every line and at the end.
     */
    private static final class Output {

        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private final StringBuilder text = new StringBuilder();
        private final List<String> lines = new ArrayList<>();
        private boolean ended;

        Output(InputStream in, String name) {
            Thread pump = new Thread(() -> pump(in), "forked-gateway-" + name);
            pump.setDaemon(true);
            pump.start();
        }

        private void pump(InputStream in) {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    lock.lock();
                    try {
                        lines.add(line);
                        text.append(line).append('\n');
                        changed.signalAll();
                    } finally {
                        lock.unlock();
                    }
                }
            } catch (IOException e) {
                // the process was killed: what was read so far is all there is
            } finally {
                lock.lock();
                try {
                    ended = true;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }

        /** Waits for the {@code occurrence}-th line (1 for the first) in which {@code pattern} is found. */
        Optional<Matcher> await(Pattern pattern, int occurrence, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            lock.lock();
            try {
                int seen = 0;
                int found = 0;
                while (true) {
                    for (; seen < lines.size(); seen++) {
                        Matcher matcher = pattern.matcher(lines.get(seen));
                        if (matcher.find() && ++found == occurrence) {
                            return Optional.of(matcher);
                        }
                    }
                    long left = deadline - System.nanoTime();
                    if (ended || left <= 0) {
                        return Optional.empty();
                    }
                    changed.awaitNanos(left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            } finally {
                lock.unlock();
            }
        }

        void awaitEnd(Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            lock.lock();
            try {
                while (!ended) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new AssertionError("output did not end within " + timeout + " of the exit");
                    }
                    changed.awaitNanos(left);
                }
            } finally {
                lock.unlock();
            }
        }

        String text() {
            lock.lock();
            try {
                return text.toString();
            } finally {
                lock.unlock();
            }
        }
    }
}
