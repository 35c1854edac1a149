package io.gatehouse.ratelimit.redis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Redis Cluster of three masters and no replicas, started by the tests: three {@code redis-server
 * --cluster-enabled yes} on free ports in a temp dir, joined with {@code redis-cli --cluster create}, ready once
 * every node reports {@code cluster_state:ok}. Missing {@code redis-server} or {@code redis-cli} fails the test under
 * CI ({@code CI=true}) and skips it, with a message, elsewhere.
 */
final class RedisClusterProcess implements AutoCloseable {

    static final int MASTERS = 3;

    private final Path dir;
    private final int[] ports = new int[MASTERS];
    private final Process[] processes = new Process[MASTERS];

    private RedisClusterProcess(Path dir) {
        this.dir = dir;
    }

    static RedisClusterProcess start() throws IOException, InterruptedException {
        RedisProcess.requireOnPath("redis-server", "redis-cli");
        RedisClusterProcess cluster = new RedisClusterProcess(Files.createTempDirectory("gatehouse-redis-cluster"));
        try {
            cluster.launch();
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** The client port of each master. */
    int[] ports() {
        return ports.clone();
    }

    /** The Redis Cluster hash slot of {@code key}, as Redis computes it ({@code CLUSTER KEYSLOT}). */
    int slot(String key) {
        return ((Long) RedisProcess.command(ports[0], "CLUSTER", "KEYSLOT", key)).intValue();
    }

    /** The port of the master that serves {@code key}'s slot, from {@code CLUSTER SLOTS}. */
    @SuppressWarnings("unchecked")
    int portOf(String key) {
        int slot = slot(key);
        for (Object range : (List<Object>) RedisProcess.command(ports[0], "CLUSTER", "SLOTS")) {
            List<Object> r = (List<Object>) range;
            if ((Long) r.get(0) <= slot && slot <= (Long) r.get(1)) {
                return ((Long) ((List<Object>) r.get(2)).get(1)).intValue();
            }
        }
        throw new AssertionError("no master serves slot " + slot);
    }

    /** Sends a command about {@code key} to the master that serves it. */
    Object command(String key, String... args) {
        return RedisProcess.command(portOf(key), args);
    }

    /** Stops one master (its data is lost); its slots are then served by no one. */
    void stop(int port) {
        for (int i = 0; i < MASTERS; i++) {
            if (ports[i] == port && processes[i] != null) {
                stop(processes[i]);
                processes[i] = null;
            }
        }
    }

    @Override
    public void close() {
        for (int i = 0; i < MASTERS; i++) {
            if (processes[i] != null) {
                stop(processes[i]);
                processes[i] = null;
            }
        }
    }

    private void launch() throws IOException, InterruptedException {
        for (int i = 0; i < MASTERS; i++) {
            IOException last = null;
            for (int attempt = 0; attempt < 5 && processes[i] == null; attempt++) {
                ports[i] = freeClusterPort();
                try {
                    processes[i] = launchNode(ports[i]);
                } catch (IOException e) {
                    // The port (or its bus port) was taken between the probe and the bind: try another one.
                    last = e;
                }
            }
            if (processes[i] == null) {
                throw last;
            }
        }
        List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
        for (int port : ports) {
            create.add("127.0.0.1:" + port);
        }
        create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
        Path log = dir.resolve("cluster-create.log");
        Process p = new ProcessBuilder(create).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("redis-cli --cluster create did not finish within 30s; see " + log);
        }
        if (p.exitValue() != 0) {
            throw new IOException("redis-cli --cluster create exited with " + p.exitValue() + ": "
                    + Files.readString(log));
        }
        for (int port : ports) {
            RedisProcess.await(Duration.ofSeconds(20), "cluster_state:ok on " + port, () -> {
                try {
                    return ((String) RedisProcess.command(port, "CLUSTER", "INFO")).contains("cluster_state:ok");
                } catch (UncheckedIOException | IllegalStateException e) {
                    return false;
                }
            });
        }
    }

    private Process launchNode(int port) throws IOException {
        Process p = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes-" + port + ".conf",
                "--cluster-node-timeout", "2000", "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--dir", dir.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis-" + port + ".log").toFile())
                .start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            if (!p.isAlive()) {
                throw new IOException("redis-server exited with " + p.exitValue() + "; see "
                        + dir.resolve("redis-" + port + ".log"));
            }
            try {
                if ("PONG".equals(RedisProcess.command(port, "PING"))) {
                    return p;
                }
            } catch (UncheckedIOException e) {
                // not listening yet
            }
            if (System.nanoTime() - end > 0) {
                stop(p);
                throw new IOException("redis-server did not answer PING within 10s");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop(p);
                throw new IOException("interrupted");
            }
        }
    }

    /** A free port whose cluster bus port (port + 10000) is free too. */
    private static int freeClusterPort() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            int port = RedisProcess.freePort();
            if (port + 10000 > 65535) {
                continue;
            }
            try (ServerSocket bus = new ServerSocket(port + 10000)) {
                return port;
            } catch (IOException e) {
                // bus port taken: try another
            }
        }
        throw new IOException("no free port pair (port, port + 10000) found");
    }

    private static void stop(Process p) {
        p.destroy();
        try {
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
