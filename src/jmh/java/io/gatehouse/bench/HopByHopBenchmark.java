package io.gatehouse.bench;

import io.gatehouse.proxy.HopByHopHeaders;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
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
 * {@link HopByHopHeaders#strip} on a browser-like request's headers (13 headers, as the decoder builds them). The
 * headers are copied first each time, because stripping changes them: {@code copyOnly} measures the copy alone, to
 * subtract. Variants: a plain {@code Connection: keep-alive}, one that names two extra headers to drop, and none.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dlogback.configurationFile=logback-jmh.xml"})
public class HopByHopBenchmark {

    @Param({"keep-alive", "keep-alive, X-Debug-Token, X-Trace", "none"})
    public String connection;

    private HttpHeaders template;

    @Setup
    public void setUp() {
        template = newHeaders();
        template.add("Host", "api.example.com")
                .add("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36")
                .add("Accept", "application/json, text/plain, */*")
                .add("Accept-Encoding", "gzip, deflate, br")
                .add("Accept-Language", "en-GB,en;q=0.9")
                .add("Origin", "https://app.example.com")
                .add("Referer", "https://app.example.com/orders")
                .add("X-API-Key", "key_live_abc123")
                .add("Cookie", "session=4f1c2a9e7b; theme=dark")
                .add("X-Debug-Token", "abc")
                .add("X-Trace", "1")
                .add("Content-Type", "application/json");
        if (!connection.equals("none")) {
            template.add("Connection", connection);
        }
    }

    private static HttpHeaders newHeaders() {
        return DefaultHttpHeadersFactory.headersFactory().newHeaders();
    }

    private HttpHeaders copy() {
        HttpHeaders headers = newHeaders();
        headers.set(template);
        return headers;
    }

    @Benchmark
    public HttpHeaders copyOnly() {
        return copy();
    }

    @Benchmark
    public HttpHeaders copyAndStrip() {
        HttpHeaders headers = copy();
        HopByHopHeaders.strip(headers);
        return headers;
    }
}
