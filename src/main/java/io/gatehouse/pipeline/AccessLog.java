package io.gatehouse.pipeline;

import io.gatehouse.config.AccessLogConfig;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A server's access log: where its lines go ({@code access_log.format} and {@code path}) and the hand-off to
 * {@link AccessLogWriter}'s thread. Text to standard output goes through the {@code access} logger, as before, so
 * a logback config still decides; a file, or JSON, goes to an {@link AccessSink}. {@link #configure} runs at start
 * and on reload, off the event loops; a changed destination is opened before the old one is retired, and the old
 * one is closed only after the lines queued for it are written.
 */
public final class AccessLog implements AutoCloseable {

    private volatile AccessSink sink;
    private volatile boolean closed;

    /** Opens the destination of {@code config}; throws when a file cannot be opened. */
    public static AccessLog open(AccessLogConfig config) {
        AccessLog log = new AccessLog();
        log.configure(config);
        return log;
    }

    /** Switches to {@code config}'s destination if it differs; throws, keeping the current one, if it cannot open. */
    public synchronized void configure(AccessLogConfig config) {
        AccessSink current = sink;
        if (current == null ? config.throughLogback() : current.config().equals(config)) {
            return;
        }
        AccessSink next;
        try {
            next = config.throughLogback() ? null : AccessSink.open(config);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open access_log.path " + config.path() + ": " + e.getMessage(), e);
        }
        sink = next;
        if (current != null) {
            AccessLogWriter.retire(current);
        }
    }

    /** Whether lines are wanted at all: with the logger at OFF, text lines are not even built. */
    boolean enabled() {
        return !closed && (sink != null || AccessLogWriter.enabled());
    }

    void submit(AccessLine line) {
        AccessSink current = sink;
        if (current == null) {
            AccessLogWriter.submit(line);
        } else {
            AccessLogWriter.submit(line, current);
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        AccessSink current = sink;
        sink = null;
        if (current != null) {
            AccessLogWriter.retire(current);
        }
    }
}
