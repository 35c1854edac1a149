package io.gatehouse.bench;

import io.gatehouse.config.RouteConfig;
import io.gatehouse.routing.RequestTarget;
import io.gatehouse.routing.Route;
import io.gatehouse.routing.RouteTable;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Route lookup as the request path does it: {@link RequestTarget#parse} (validation and normalisation), then
 * {@link RouteTable#match} (longest prefix on segment boundaries), with 10 and 1,000 routes. The lookup should cost
 * the same with 1,000 routes as with 10.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dlogback.configurationFile=logback-jmh.xml"})
public class RouteTableBenchmark {

    @Param({"10", "1000"})
    public int routes;

    private RouteTable table;
    /** A clean target that hits a two-segment route ("/svc-N/v1") under a deeper path. */
    private String hitTarget;
    /** A target that needs normalisation (dot segment, "//", an escaped unreserved character) before matching. */
    private String dirtyTarget;
    /** A target no route covers. */
    private String missTarget;
    private String hitPath;

    @Setup
    public void setUp() {
        List<RouteConfig> configs = new ArrayList<>(routes);
        for (int i = 0; i < routes; i++) {
            String prefix = i % 2 == 0 ? "/svc-" + i : "/svc-" + i + "/v1";
            configs.add(RouteConfig.defaults(prefix, URI.create("http://127.0.0.1:" + (4000 + i % 1000))));
        }
        table = RouteTable.of(configs);
        int target = routes / 2 + 1; // odd: a "/svc-N/v1" route
        hitTarget = "/svc-" + target + "/v1/users/42/orders?page=2&size=20";
        dirtyTarget = "/svc-" + target + "/v1/users/./%7Ealice//orders/../orders?page=2";
        missTarget = "/nowhere/at/all/users/42";
        hitPath = RequestTarget.parse(hitTarget).path();
        if (match(hitTarget) == null || match(dirtyTarget) == null || match(missTarget) != null) {
            throw new IllegalStateException("benchmark routes are wrong");
        }
    }

    private Route match(String target) {
        return table.match(RequestTarget.parse(target).path());
    }

    @Benchmark
    public Route parseAndMatch() {
        return match(hitTarget);
    }

    @Benchmark
    public Route parseAndMatchNeedsNormalising() {
        return match(dirtyTarget);
    }

    @Benchmark
    public Route parseAndMatchMiss() {
        return match(missTarget);
    }

    @Benchmark
    public Route matchOnly() {
        return table.match(hitPath);
    }

    @Benchmark
    public RequestTarget parseOnly() {
        return RequestTarget.parse(hitTarget);
    }
}
