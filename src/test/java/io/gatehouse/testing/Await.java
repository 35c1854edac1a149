package io.gatehouse.testing;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/** Waits on a condition with a bounded deadline, for real-socket tests that must not sleep for a fixed time. */
public final class Await {

    private Await() {
    }

    /** Polls {@code condition} every few milliseconds until it holds; fails with {@code what} at the deadline. */
    public static void until(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout.toMillis() + " ms waiting for " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }

    /**
     * Waits until {@code counter} has not moved for 500 ms and returns its value: how a backpressure test sees that
     * a writer stalled. Fails if it keeps moving for {@code timeout}; {@code what} names the counter.
     */
    public static long stall(AtomicLong counter, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long last = -1;
        while (System.nanoTime() - deadline < 0) {
            long now = counter.get();
            if (now == last) {
                return now;
            }
            last = now;
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what + " to stall", e);
            }
        }
        throw new AssertionError(what + " kept moving for " + timeout.toSeconds() + " s: " + counter.get());
    }
}
