package io.gatehouse.bench;

import io.gatehouse.config.RateLimitPolicyConfig;
import io.gatehouse.ratelimit.LocalRateLimiter;
import io.gatehouse.ratelimit.RateLimitResult;
import java.time.Duration;
import java.util.List;
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
 * {@link LocalRateLimiter#decideNow} for one policy against three stacked ones (burst 1 s, hourly, daily), with 10
 * and 100,000 clients, every one admitted (limits no benchmark reaches): the cost of each extra policy on the
 * admitting path, which locks one more entry, decides and counts one more ring.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-Dlogback.configurationFile=logback-jmh.xml"})
public class StackedRateLimiterBenchmark {

    private static final long HIGH = 1_000_000_000L;

    @Param({"1", "3"})
    public int policies;

    @Param({"10", "100000"})
    public int clients;

    private LocalRateLimiter limiter;
    private List<RateLimitPolicyConfig> stack;
    private String[] keys;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        List<RateLimitPolicyConfig> three = List.of(
                new RateLimitPolicyConfig("burst", HIGH, Duration.ofSeconds(1)),
                new RateLimitPolicyConfig("hourly", HIGH, Duration.ofHours(1)),
                new RateLimitPolicyConfig("daily", HIGH, Duration.ofHours(24)));
        stack = three.subList(0, policies);
        limiter = new LocalRateLimiter(System::nanoTime);
        keys = new String[clients];
        for (int i = 0; i < clients; i++) {
            keys[i] = "client-" + i;
            limiter.decideNow(keys[i], stack);
        }
    }

    @Benchmark
    public RateLimitResult decideNow() {
        // A stride coprime with the client count visits every client in a scrambled order.
        next = (next + 7919) % clients;
        return limiter.decideNow(keys[next], stack);
    }
}
