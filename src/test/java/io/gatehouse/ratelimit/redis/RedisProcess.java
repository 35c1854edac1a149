package io.gatehouse.ratelimit.redis;

import org.junit.jupiter.api.Assumptions;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A real {@code redis-server} from the PATH, started by the tests on a free port without persistence, plus a
 * minimal RESP client to look inside it. Missing {@code redis-server} fails the test under CI ({@code CI=true})
 * and skips it, with a message, elsewhere.
 */
final class RedisProcess implements AutoCloseable {

    private final Path dir;
    private final int port;
    private Process process;

    private RedisProcess(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    /** Starts a fresh Redis on a free port; fails (CI) or skips (elsewhere) when redis-server is not installed. */
    static RedisProcess start() throws IOException {
        requireRedisServer();
        Path dir = Files.createTempDirectory("gatehouse-redis");
        IOException last = null;
        for (int attempt = 0; attempt < 5; attempt++) {
            RedisProcess redis = new RedisProcess(dir, freePort());
            try {
                redis.launch();
                return redis;
            } catch (IOException e) {
                // Another process took the port between the probe and the bind: try another one.
                last = e;
            }
        }
        throw last;
    }

    static void requireRedisServer() {
        requireOnPath("redis-server");
    }

    /** Fails (CI) or skips (elsewhere) unless every one of {@code programs} is on the PATH. */
    static void requireOnPath(String... programs) {
        List<String> missing = new ArrayList<>();
        for (String program : programs) {
            if (!onPath(program)) {
                missing.add(program);
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        String message = String.join(" and ", missing) + " not on the PATH; install them (apt-get install"
                + " redis-server, which brings redis-tools with redis-cli) to run the Redis rate-limit tests";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(message + " (CI=true: not skipping)");
        }
        Assumptions.abort(message);
    }

    int port() {
        return port;
    }

    /** Stops Redis (its data is lost: no persistence) and waits until it has exited. */
    void stop() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Starts Redis again on the same port, empty. */
    void restart() throws IOException {
        stop();
        launch();
    }

    @Override
    public void close() {
        stop();
    }

    /** Sends one command on a new connection and returns the reply: String, Long, List, or null. */
    Object command(String... args) {
        return command(port, args);
    }

    /** Sends one command to the Redis on {@code port} on a new connection and returns the reply. */
    static Object command(int port, String... args) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            socket.setSoTimeout(5000);
            write(socket.getOutputStream(), args);
            return read(new BufferedInputStream(socket.getInputStream()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** MONITOR on its own connection: records every command Redis executes, as Redis prints them. */
    Monitor monitor() throws IOException {
        return new Monitor(port);
    }

    /** MONITOR on the Redis on {@code port}. */
    static Monitor monitor(int port) throws IOException {
        return new Monitor(port);
    }

    static final class Monitor implements AutoCloseable {
        private final Socket socket;
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private final Thread reader;

        private Monitor(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            write(socket.getOutputStream(), "MONITOR");
            InputStream in = new BufferedInputStream(socket.getInputStream());
            if (!"OK".equals(read(in))) {
                throw new IOException("MONITOR refused");
            }
            reader = new Thread(() -> {
                try {
                    while (true) {
                        lines.add((String) read(in));
                    }
                } catch (IOException | RuntimeException e) {
                    // closed
                }
            }, "redis-monitor");
            reader.setDaemon(true);
            reader.start();
        }

        List<String> lines() {
            return List.copyOf(lines);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Polls {@code condition} every few milliseconds until it holds; fails after {@code max}. */
    static void await(Duration max, String what, BooleanSupplier condition) {
        long end = System.nanoTime() + max.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("timed out after " + max + " waiting for " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    private void launch() throws IOException {
        Process p = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", dir.toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis-" + port + ".log").toFile())
                .start();
        process = p;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            if (!p.isAlive()) {
                process = null;
                throw new IOException("redis-server exited with " + p.exitValue() + "; see "
                        + dir.resolve("redis-" + port + ".log"));
            }
            try {
                if ("PONG".equals(command("PING"))) {
                    return;
                }
            } catch (UncheckedIOException e) {
                // not listening yet
            }
            if (System.nanoTime() - end > 0) {
                stop();
                throw new IOException("redis-server did not answer PING within 10s");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }

    private static boolean onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return true;
            }
        }
        return false;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void write(OutputStream out, String... args) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        buf.writeBytes(("*" + args.length + "\r\n").getBytes(StandardCharsets.UTF_8));
        for (String arg : args) {
            byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            buf.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.UTF_8));
            buf.writeBytes(bytes);
            buf.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.write(buf.toByteArray());
        out.flush();
    }

    private static Object read(InputStream in) throws IOException {
        int type = in.read();
        if (type < 0) {
            throw new IOException("connection closed");
        }
        String line = readLine(in);
        switch (type) {
            case '+':
                return line;
            case '-':
                throw new IllegalStateException("Redis error: " + line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] bytes = in.readNBytes(length + 2);
                return new String(bytes, 0, length, StandardCharsets.UTF_8);
            }
            case '*': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    items.add(read(in));
                }
                return items;
            }
            default:
                throw new IOException("unexpected RESP type " + (char) type);
        }
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != '\r') {
            if (c < 0) {
                throw new IOException("connection closed");
            }
            line.write(c);
        }
        in.read();
        return line.toString(StandardCharsets.UTF_8);
    }
}
