package io.gatehouse.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.read.ListAppender;
import io.gatehouse.testing.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

class AccessLogWriterTest {

    private final Logger logger = (Logger) LoggerFactory.getLogger("test.access." + System.nanoTime());
    private final List<AccessLogWriter> writers = new ArrayList<>();

    @AfterEach
    void stopWriters() {
        writers.forEach(writer -> writer.stop(5_000));
        logger.detachAndStopAllAppenders();
    }

    @Test
    void deliversEveryLineOfEveryThreadInOrderStampedWhenSubmitted() throws Exception {
        ListAppender<ILoggingEvent> lines = capture();
        AccessLogWriter writer = writer(1024);
        int threads = 4;
        int perThread = 5_000;
        long before = System.currentTimeMillis();
        List<Thread> submitters = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread submitter = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    // Retried when full: this test is about order and completeness, not about dropping.
                    while (!writer.tryOffer(id + ":" + i)) {
                        Thread.onSpinWait();
                    }
                }
            });
            submitter.start();
            submitters.add(submitter);
        }
        for (Thread submitter : submitters) {
            submitter.join();
        }
        long after = System.currentTimeMillis();

        Await.until(Duration.ofSeconds(10), "all lines written", () -> lines.list.size() == threads * perThread);
        int[] next = new int[threads];
        for (ILoggingEvent event : lines.list) {
            String[] parts = event.getFormattedMessage().split(":");
            int id = Integer.parseInt(parts[0]);
            assertThat(Integer.parseInt(parts[1])).as("line order of thread " + id).isEqualTo(next[id]++);
            assertThat(event.getTimeStamp()).isBetween(before, after);
        }
    }

    @Test
    void dropsAndCountsLinesWhileTheDestinationIsStalledThenReportsThem() throws Exception {
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<String> written = new CopyOnWriteArrayList<>();
        AppenderBase<ILoggingEvent> slow = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent event) {
                stalled.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                written.add(event.getFormattedMessage());
            }
        };
        slow.setContext(logger.getLoggerContext());
        slow.start();
        logger.setAdditive(false);
        logger.addAppender(slow);
        Logger writerLog = (Logger) LoggerFactory.getLogger(AccessLogWriter.class);
        ListAppender<ILoggingEvent> warnings = new ListAppender<>();
        warnings.start();
        writerLog.addAppender(warnings);
        try {
            AccessLogWriter writer = writer(4);
            writer.offer("first");
            assertThat(stalled.await(10, TimeUnit.SECONDS)).as("the writer took the first line").isTrue();
            for (int i = 0; i < 10; i++) {
                writer.offer("line " + i);
            }
            release.countDown();

            Await.until(Duration.ofSeconds(10), "the drop reported",
                    () -> warnings.list.stream().anyMatch(e -> e.getFormattedMessage().contains("6 line(s) dropped")));
            assertThat(written).containsExactly("first", "line 0", "line 1", "line 2", "line 3");
            // The running total, for gatehouse_access_log_dropped_total, is not reset by the report.
            assertThat(writer.dropped()).isEqualTo(6);
        } finally {
            release.countDown();
            writerLog.detachAppender(warnings);
        }
    }

    @Test
    void stopWritesEverythingQueuedBeforeReturning() {
        ListAppender<ILoggingEvent> lines = capture();
        AccessLogWriter writer = writer(1024);
        for (int i = 0; i < 500; i++) {
            writer.offer("line " + i);
        }

        writer.stop(5_000);

        assertThat(lines.list).hasSize(500);
    }

    @Test
    void flushesABufferingFileAppenderAfterEachBatch(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(logger.getLoggerContext());
        encoder.setPattern("%msg%n");
        encoder.start();
        FileAppender<ILoggingEvent> appender = new FileAppender<>();
        appender.setContext(logger.getLoggerContext());
        appender.setFile(file.toString());
        appender.setEncoder(encoder);
        appender.setImmediateFlush(false);
        appender.start();
        logger.setAdditive(false);
        logger.addAppender(appender);
        AccessLogWriter writer = writer(1024);

        // Far less than the appender's buffer: without a flush per batch these lines would sit in memory.
        writer.offer("GET /a -> 200");
        writer.offer("GET /b -> 404");

        Await.until(Duration.ofSeconds(10), "both lines in the file",
                () -> read(file).equals("GET /a -> 200\nGET /b -> 404\n"));
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ListAppender<ILoggingEvent> capture() {
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        logger.setAdditive(false);
        logger.addAppender(lines);
        return lines;
    }

    private AccessLogWriter writer(int capacity) {
        AccessLogWriter writer = new AccessLogWriter(logger, capacity);
        writers.add(writer);
        return writer;
    }
}
