package io.gatehouse.testing;

import java.time.Duration;
import java.util.List;

/**
 * A backend that a test switches, at any time, between answering 200, answering slowly, answering a status,
 * resetting every connection, and refusing connections (its port closed, then listening again on the same port).
 * Health checks ({@code GET /health}) get their own status, so that a target can fail its checks while serving,
 * or the other way round. Counts what reached it, checks apart.
 */
public final class FlakyBackend implements AutoCloseable {

    public static final String HEALTH_PATH = "/health";

    private final String name;
    private final int port;
    private volatile TestBackend backend;
    private volatile int status = 200;
    private volatile Duration delay = Duration.ZERO;
    private volatile boolean reset;
    private volatile int healthStatus = 200;

    private FlakyBackend(String name) {
        this.name = name;
        this.backend = TestBackend.start(this::respond);
        this.port = backend.port();
    }

    /** A backend answering {@code 200 name} to everything until told otherwise. */
    public static FlakyBackend start(String name) {
        return new FlakyBackend(name);
    }

    private void respond(TestBackend.Request request, TestBackend.Connection connection) throws Exception {
        request.body();
        if (request.target().startsWith(HEALTH_PATH)) {
            connection.respond(healthStatus, "health of " + name);
            return;
        }
        if (reset) {
            connection.reset();
            return;
        }
        Duration wait = delay;
        if (!wait.isZero()) {
            Thread.sleep(wait.toMillis());
        }
        connection.respond(status, status == 200 ? name : "{\"error\":\"" + status + " from " + name + "\"}",
                "Content-Type: text/plain");
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public String name() {
        return name;
    }

    /** Answers 200 with its name, at once. */
    public FlakyBackend healthy() {
        status = 200;
        delay = Duration.ZERO;
        reset = false;
        return this;
    }

    public FlakyBackend status(int code) {
        status = code;
        return this;
    }

    public FlakyBackend slow(Duration by) {
        delay = by;
        return this;
    }

    /** Resets each connection as soon as a request head arrived on it. */
    public FlakyBackend resetting() {
        reset = true;
        return this;
    }

    public FlakyBackend healthStatus(int code) {
        healthStatus = code;
        return this;
    }

    /** Closes the port: connections are refused, and open ones end. */
    public synchronized FlakyBackend refusing() {
        backend.close();
        return this;
    }

    /** Listens again on the same port. */
    public synchronized FlakyBackend listening() {
        backend = TestBackend.startOn(port, this::respond);
        return this;
    }

    /** Requests received since it last started listening, health checks left out. */
    public List<TestBackend.Request> requests() {
        return backend.requests().stream().filter(r -> !r.target().startsWith(HEALTH_PATH)).toList();
    }

    public int requestCount() {
        return requests().size();
    }

    /** Connections accepted since it last started listening (health checks' included). */
    public int connectionsAccepted() {
        return backend.connectionsAccepted();
    }

    /** Health checks received since it last started listening. */
    public int healthChecks() {
        return (int) backend.requests().stream().filter(r -> r.target().startsWith(HEALTH_PATH)).count();
    }

    @Override
    public void close() {
        backend.close();
    }
}
