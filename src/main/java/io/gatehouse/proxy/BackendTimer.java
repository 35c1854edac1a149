package io.gatehouse.proxy;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * One timer per client connection for the backend timeout of whichever attempt is current on it. A attempt asks to be
 * checked no later than a given time; the timer is scheduled only when nothing is scheduled early enough already,
 * and a attempt that ends just lets go of it. Keep-alive traffic therefore schedules about one task per timeout
 * period per connection instead of a schedule and a cancel per request; when the timer fires early for the
 * current attempt (it was set for an earlier one), the attempt checks its own silence and asks again for the rest.
 * Event-loop confined, like the connection it belongs to.
 */
final class BackendTimer implements Runnable {

    private final EventExecutor executor;
    private BackendAttempt attempt;
    private ScheduledFuture<?> scheduled;
    private long firesAtNanos;

    BackendTimer(EventExecutor executor) {
        this.executor = executor;
    }

    /** Checks {@code attempt} (through {@link BackendAttempt#checkTimeout()}) within {@code delayNanos} from now. */
    void watch(BackendAttempt attempt, long delayNanos) {
        this.attempt = attempt;
        long at = System.nanoTime() + delayNanos;
        if (scheduled != null) {
            if (firesAtNanos - at <= 0) {
                return;
            }
            scheduled.cancel(false);
        }
        firesAtNanos = at;
        scheduled = executor.schedule(this, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** {@code attempt} no longer needs watching; the timer, if scheduled, stays for the next attempt. */
    void release(BackendAttempt attempt) {
        if (this.attempt == attempt) {
            this.attempt = null;
        }
    }

    /** The connection is gone: nothing is left to watch. */
    void stop() {
        attempt = null;
        if (scheduled != null) {
            scheduled.cancel(false);
            scheduled = null;
        }
    }

    @Override
    public void run() {
        scheduled = null;
        BackendAttempt current = attempt;
        if (current != null) {
            current.checkTimeout();
        }
    }

    /** Whether a check is scheduled (for tests). */
    boolean scheduled() {
        return scheduled != null;
    }
}
