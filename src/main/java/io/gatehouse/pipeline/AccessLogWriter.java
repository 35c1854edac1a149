package io.gatehouse.pipeline;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import io.netty.util.internal.PlatformDependent;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Carries access lines from the event loops to the {@code access} logger's appenders on a thread of its own.
 * <p>
 * An event loop only puts the finished line on a lock-free queue: it never takes a lock, never waits and never
 * wakes the writer. The writer polls, drains everything that is queued in one go, and sleeps a few milliseconds
 * when the queue is empty, so under load it wakes once per batch instead of once per line (a blocking queue's
 * signal per line was a measurable part of each request's cost). Appenders whose {@code immediateFlush} is off
 * are flushed once per batch, so a file gets one {@code write} per batch. Each line keeps the time its request ended,
 * not the time it was written. If the queue is full (the log destination is stalled), lines are dropped and
 * counted rather than an event loop held up; the count is reported once the writer catches up.
 */
public final class AccessLogWriter {

    private static final Logger ACCESS = (Logger) LoggerFactory.getLogger("access");
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(AccessLogWriter.class);

    private static final int CAPACITY = 64 * 1024;
    /** Lines per batch at most, so that a steady stream of lines is still flushed regularly. */
    private static final int MAX_BATCH = 1024;
    private static final long IDLE_SLEEP_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    private static final String FQCN = AccessLogWriter.class.getName();

    private static final AccessLogWriter INSTANCE = new AccessLogWriter(ACCESS, CAPACITY);

    /**
     * {@code text}'s {@code toString()} is the line, made on the writer's thread; {@code sink} is where it goes, or
     * null for the {@code access} logger.
     */
    private record Line(long epochMillis, Object text, AccessSink sink) {
    }

    private final Logger logger;
    private final Queue<Line> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong droppedTotal = new AtomicLong();
    /** Sinks given up (a reload changed the destination, a server stopped): closed once the queue is empty. */
    private final Queue<AccessSink> retired = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** The sinks written to in the current batch; the writer thread's own. */
    private final java.util.List<AccessSink> touched = new java.util.ArrayList<>();
    private final Thread writer;
    private volatile boolean stopping;

    AccessLogWriter(Logger logger, int capacity) {
        this.logger = logger;
        this.queue = PlatformDependent.newFixedMpscQueue(capacity);
        writer = new Thread(this::run, "gatehouse-access-log");
        writer.setDaemon(true);
        writer.start();
    }

    /** Whether access lines go anywhere: when the logger is off, the line is not even built. */
    static boolean enabled() {
        return ACCESS.isInfoEnabled();
    }

    /** Queues one line, stamped now, to be made by its {@code toString()} on the writer's thread; never blocks. */
    static void submit(Object line) {
        INSTANCE.offer(line);
    }

    /** Queues one line for {@code sink}, stamped now; never blocks. */
    static void submit(Object line, AccessSink sink) {
        INSTANCE.offer(line, sink);
    }

    /** Closes {@code sink} on the writer's thread once every line queued so far has been written. */
    static void retire(AccessSink sink) {
        INSTANCE.retired.add(sink);
    }

    /** Lines dropped since the process started because the queue was full. */
    public static long droppedTotal() {
        return INSTANCE.droppedTotal.get();
    }

    /**
     * Writes out everything queued so far and stops the writer, waiting up to {@code timeoutMillis}. For the end
     * of the process: lines submitted afterwards are not written.
     */
    public static void drainAndStop(long timeoutMillis) {
        INSTANCE.stop(timeoutMillis);
    }

    void offer(Object text) {
        offer(text, null);
    }

    void offer(Object text, AccessSink sink) {
        if (!queue.offer(new Line(System.currentTimeMillis(), text, sink))) {
            dropped.incrementAndGet();
            droppedTotal.incrementAndGet();
        }
    }

    /** Queues one line unless the queue is full. */
    boolean tryOffer(Object text) {
        return queue.offer(new Line(System.currentTimeMillis(), text, null));
    }

    long dropped() {
        return droppedTotal.get();
    }

    private void run() {
        while (true) {
            boolean wrote = drain();
            if (!wrote) {
                if (stopping) {
                    return;
                }
                LockSupport.parkNanos(this, IDLE_SLEEP_NANOS);
            }
        }
    }

    private boolean drain() {
        Line line;
        boolean wrote = false;
        boolean emptied = false;
        for (int i = 0; i < MAX_BATCH; i++) {
            line = queue.poll();
            if (line == null) {
                emptied = true;
                break;
            }
            wrote = true;
            AccessSink sink = line.sink();
            if (sink != null) {
                try {
                    sink.write(line.text(), line.epochMillis());
                } catch (RuntimeException e) {
                    LOG.warn("access log write failed: {}", e.toString());
                }
                if (!touched.contains(sink)) {
                    touched.add(sink);
                }
                continue;
            }
            try {
                LoggingEvent event = new LoggingEvent(FQCN, logger, Level.INFO, line.text().toString(), null,
                        null);
                event.setTimeStamp(line.epochMillis());
                logger.callAppenders(event);
            } catch (RuntimeException e) {
                // A failing appender must not end the writer: the next line may well go through.
                LOG.warn("access log appender failed: {}", e.toString());
            }
        }
        if (wrote) {
            flushBufferedAppenders();
            for (AccessSink sink : touched) {
                sink.flush();
            }
            touched.clear();
        }
        if (emptied) {
            AccessSink sink;
            while ((sink = retired.poll()) != null) {
                sink.close();
            }
        }
        long lost = dropped.getAndSet(0);
        if (lost > 0) {
            LOG.warn("access log could not keep up: {} line(s) dropped", lost);
        }
        return wrote;
    }

    /**
     * An appender with {@code immediateFlush} off buffers what it is given: flushing it once per batch turns one
     * {@code write} system call per line into one per batch, and no line waits longer than the batch.
     */
    private void flushBufferedAppenders() {
        for (Iterator<Appender<ILoggingEvent>> it = logger.iteratorForAppenders(); it.hasNext(); ) {
            if (it.next() instanceof OutputStreamAppender<ILoggingEvent> appender && appender.isStarted()
                    && !appender.isImmediateFlush()) {
                OutputStream out = appender.getOutputStream();
                try {
                    if (out != null) {
                        out.flush();
                    }
                } catch (IOException e) {
                    LOG.warn("access log flush failed: {}", e.toString());
                }
            }
        }
    }

    void stop(long timeoutMillis) {
        stopping = true;
        LockSupport.unpark(writer);
        try {
            writer.join(timeoutMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
