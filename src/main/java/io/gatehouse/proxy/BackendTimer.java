package io.gatehouse.proxy;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * One timer per client connection for the backend timeout of whichever call is current on it. A call asks to be
 * checked no later than a given time; the timer is scheduled only when nothing is scheduled early enough already,
 * and a call that ends just lets go of it. Keep-alive traffic therefore schedules about one task per timeout
 * period per connection instead of a schedule and a cancel per request; when the timer fires early for the
 * current call (it was set for an earlier one), the call checks its own silence and asks again for the rest.
 * Event-loop confined, like the connection it belongs to.
 */
final class BackendTimer implements Runnable {

    private final EventExecutor executor;
    private BackendCall call;
    private ScheduledFuture<?> scheduled;
    private long firesAtNanos;

    BackendTimer(EventExecutor executor) {
        this.executor = executor;
    }

    /** Checks {@code call} (through {@link BackendCall#checkTimeout()}) within {@code delayNanos} from now. */
    void watch(BackendCall call, long delayNanos) {
        this.call = call;
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

    /** {@code call} no longer needs watching; the timer, if scheduled, stays for the next call. */
    void release(BackendCall call) {
        if (this.call == call) {
            this.call = null;
        }
    }

    /** The connection is gone: nothing is left to watch. */
    void stop() {
        call = null;
        if (scheduled != null) {
            scheduled.cancel(false);
            scheduled = null;
        }
    }

    @Override
    public void run() {
        scheduled = null;
        BackendCall current = call;
        if (current != null) {
            current.checkTimeout();
        }
    }

    /** Whether a check is scheduled (for tests). */
    boolean scheduled() {
        return scheduled != null;
    }
}
