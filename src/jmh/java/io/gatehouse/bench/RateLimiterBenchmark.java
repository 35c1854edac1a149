package io.gatehouse.bench;

import io.gatehouse.ratelimit.RateLimitDecision;
import io.gatehouse.ratelimit.SlidingWindowRateLimiter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link SlidingWindowRateLimiter#tryAcquire} with 10 and 1,000,000 clients and limits of 100 and 1,000,000 per
 * window. Every client is tracked before measuring; calls go round the clients in a fixed, scrambled order, so with
 * a million clients most calls miss the CPU caches, as they would in a gateway with that many clients. With the
 * limit of 100 most calls are refusals (the refusal path); with 1,000,000 they are admissions. The state per client
 * is a fixed ring of buckets, so the cost must not grow with the limit.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-Dlogback.configurationFile=logback-jmh.xml"})
public class RateLimiterBenchmark {

    @Param({"10", "1000000"})
    public int clients;

    @Param({"100", "1000000"})
    public long limit;

    private SlidingWindowRateLimiter limiter;
    private String[] keys;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        limiter = new SlidingWindowRateLimiter(Duration.ofSeconds(60), System::nanoTime);
        keys = new String[clients];
        for (int i = 0; i < clients; i++) {
            keys[i] = "client-" + i;
            limiter.tryAcquire(keys[i], limit);
        }
        if (limiter.size() != clients) {
            throw new IllegalStateException("tracked " + limiter.size() + " of " + clients);
        }
    }

    @Benchmark
    public RateLimitDecision tryAcquire() {
        // A stride coprime with the client count visits every client in a scrambled order.
        int i = next;
        next = (int) ((i + 7_919L) % clients);
        return limiter.tryAcquire(keys[i], limit);
    }
}
