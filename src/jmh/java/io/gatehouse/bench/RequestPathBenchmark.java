package io.gatehouse.bench;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.ServerConfig;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.pipeline.Filters;
import io.gatehouse.pipeline.ResponseFinisher;
import io.gatehouse.proxy.Forwarder;
import io.gatehouse.ratelimit.LocalRateLimiter;
import io.gatehouse.server.ClientConnectionHandler;
import io.gatehouse.server.ClientDeadlineHandler;
import io.gatehouse.server.ExchangeHandler;
import io.gatehouse.flow.ReadOnDemandHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.slf4j.LoggerFactory;

/**
 * One request through Gatehouse's client pipeline, in order as {@code ClientChannelInitializer} builds it (codec,
 * read pacing, idle timer, deadlines, connection handling, the response finisher, and the exchange handler with
 * its filter chains: framing, CORS preflight, health, routing, API key, body limit, rate limit) on an
 * {@link EmbeddedChannel}, with every feature on. The backend leg is stubbed: where {@code BackendForwarder} would
 * start a backend call, a stand-in forwarder answers with a backend-like 1 KB JSON response (head, body, end),
 * which then travels back out through the finisher, the connection handler and the encoder. Run with
 * {@code -prof gc}: {@code gc.alloc.rate.norm} is the allocation per request on the client side (the stand-in's
 * own response objects included; the real backend leg adds its encoder and decoder on top). The access log goes
 * through an asynchronous appender into a discarding sink (logback-jmh.xml). The idle and deadline timers are
 * scheduled but never fire: the channel's scheduled tasks are never run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dlogback.configurationFile=logback-jmh.xml",
        "-Dio.netty.leakDetection.level=disabled"})
public class RequestPathBenchmark {

    private static final String YAML = """
            server:
              max_requests_per_connection: 0
            auth:
              keys:
                - key: bench_key_8c1f0d3a9e
                  name: bench-client
                  rate_limit: 1000000000
            cors:
              allow_origins: ["*"]
            routes:
              - prefix: /api/users
                upstream: http://127.0.0.1:4001
              - prefix: /api/orders
                upstream: http://127.0.0.1:4002
              - prefix: /api/products
                upstream: http://127.0.0.1:4003
            """;

    private static final byte[] REQUEST = ("GET /api/users/42 HTTP/1.1\r\n"
            + "Host: 127.0.0.1:3000\r\n"
            + "X-API-Key: bench_key_8c1f0d3a9e\r\n"
            + "Origin: https://app.example.com\r\n"
            + "User-Agent: wrk\r\n"
            + "Accept: */*\r\n"
            + "\r\n").getBytes(StandardCharsets.US_ASCII);

    private static final byte[] BODY = body();

    /** "on": the access log as in production (AccessLogWriter's queue); "off": the access logger disabled. */
    @Param({"on", "off"})
    public String accessLog;

    private EmbeddedChannel channel;
    private ByteBuf request;
    private long responses;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("access"))
                .setLevel(accessLog.equals("on") ? ch.qos.logback.classic.Level.INFO : ch.qos.logback.classic.Level.OFF);
        LocalRateLimiter limiter = new LocalRateLimiter(System::nanoTime);
        RuntimeConfig config = Filters.compile(ConfigLoader.parse(YAML, "bench.yaml"), limiter);
        request = Unpooled.unreleasableBuffer(Unpooled.directBuffer(REQUEST.length).writeBytes(REQUEST));
        channel = new EmbeddedChannel();
        channel.config().setAutoRead(false);
        ServerConfig server = config.config().server();
        ClientDeadlineHandler deadlines = new ClientDeadlineHandler(server);
        channel.pipeline().addLast(
                deadlines.rawBytesWatcher(),
                new HttpServerCodec(new HttpDecoderConfig()
                        .setMaxInitialLineLength(server.maxRequestLine())
                        .setMaxHeaderSize(server.maxHeaderSize())
                        .setMaxChunkSize(server.maxChunkSize())
                        .setAllowDuplicateContentLengths(false)
                        .setStrictLineParsing(true)
                        .setUseRfc9112TransferEncoding(true), 8192),
                new ReadOnDemandHandler(),
                new IdleStateHandler(true, 0, server.writeTimeout().toNanos(), server.idleTimeout().toNanos(),
                        TimeUnit.NANOSECONDS),
                deadlines,
                new ClientConnectionHandler(() -> config, () -> false),
                new ResponseFinisher(() -> config),
                new ExchangeHandler(StubBackend::new));
        channel.read(); // what ClientConnectionHandler does when the connection becomes active
        long before = responses;
        oneRequest();
        if (responses != before + 1) {
            throw new IllegalStateException("the pipeline did not answer the request");
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        channel.finishAndReleaseAll();
    }

    @Benchmark
    public int oneRequest() {
        channel.writeInbound(request.retainedDuplicate().resetReaderIndex());
        int bytes = 0;
        Object out;
        while ((out = channel.readOutbound()) != null) {
            if (out instanceof ByteBuf buf) {
                bytes += buf.readableBytes();
            }
            ReferenceCountUtil.release(out);
        }
        if (bytes == 0 || !channel.isOpen()) {
            throw new IllegalStateException("no response, or the pipeline closed the connection");
        }
        return bytes;
    }

    private static byte[] body() {
        StringBuilder json = new StringBuilder("{\"id\":42,\"name\":\"user-42\",\"padding\":\"");
        while (json.length() < 1022) {
            json.append('x');
        }
        return json.append("\"}").toString().getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * In {@code BackendForwarder}'s place: takes the request that passed the filters, reads its body (if any) to the
     * end, then answers as the benchmark backend does, writing through the exchange handler's context as a backend
     * call does.
     */
    private final class StubBackend implements Forwarder {
        private final ChannelHandlerContext ctx;
        private boolean busy;

        StubBackend(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public boolean busy() {
            return busy;
        }

        @Override
        public void forward(Exchange exchange, HttpRequest request, boolean complete) {
            exchange.backend("127.0.0.1:4001");
            ReferenceCountUtil.release(request);
            busy = true;
            if (complete) {
                respond();
            } else {
                ctx.read(); // as a backend call does once the head is written to the backend
            }
        }

        @Override
        public void content(HttpContent content) {
            boolean last = content instanceof LastHttpContent;
            content.release();
            if (last) {
                respond();
            } else {
                ctx.read();
            }
        }

        @Override
        public void abandon() {
            busy = false;
        }

        @Override
        public void clientWritabilityChanged() {
        }

        @Override
        public void clientClosed() {
            busy = false;
        }

        private void respond() {
            HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            response.headers()
                    .set(HttpHeaderNames.SERVER, "nginx")
                    .set(HttpHeaderNames.DATE, "Sat, 28 Nov 2026 10:15:02 GMT")
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                    .set(HttpHeaderNames.CONTENT_LENGTH, BODY.length)
                    .set(HttpHeaderNames.CONNECTION, "keep-alive");
            ctx.write(response);
            ctx.write(new DefaultHttpContent(ctx.alloc().buffer(BODY.length).writeBytes(BODY)));
            busy = false; // the response's end is what lets the connection read the next request
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            responses++;
        }
    }
}
