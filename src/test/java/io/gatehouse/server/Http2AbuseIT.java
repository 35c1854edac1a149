package io.gatehouse.server;

import io.gatehouse.testing.GatewayFixture;
import io.gatehouse.testing.GatewayYaml;
import io.gatehouse.testing.TestBackend;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.gatehouse.testing.GatewayYaml.KEY;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * HTTP/2 clients that misbehave, played by Netty's own HTTP/2 client over h2c with its safety checks turned off:
 * a rapid-reset loop is cut off with a GOAWAY, and a header block over the limit is answered 431 without reaching
 * the backend.
 */
class Http2AbuseIT {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private GatewayFixture gateway;

    @AfterEach
    void close() {
        if (gateway != null) {
            gateway.close();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private Channel connect(CompletableFuture<Long> goAway) throws InterruptedException {
        return connect(goAway, "h2c: true");
    }

    private Channel connect(CompletableFuture<Long> goAway, String... serverLines) throws InterruptedException {
        gateway = GatewayFixture.withBackend((request, connection) -> {
            if (request.target().startsWith("/api/reset/")) {
                connection.awaitPeerClose(java.time.Duration.ofSeconds(30)); // held until the client resets it
            } else if (request.target().startsWith("/api/slow-upload")) {
                request.body(); // an upload endpoint: the answer comes after the body, which never does
                connection.respond(200, "ok");
            } else {
                connection.respond(200, "ok");
            }
        }).start(url -> GatewayYaml.standard().server(serverLines).route("/api", url, "max_body: 1KiB"));
        return new Bootstrap().group(group).channel(NioSocketChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(Http2FrameCodecBuilder.forClient()
                                // An abusive client: none of the limits a well-behaved one keeps to itself.
                                .encoderEnforceMaxRstFramesPerWindow(0, 0)
                                .encoderIgnoreMaxHeaderListSize(true)
                                .build());
                        ch.pipeline().addLast(new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()));
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof Http2GoAwayFrame frame) {
                                    goAway.complete(frame.errorCode());
                                }
                                ReferenceCountUtil.release(msg);
                            }
                        });
                    }
                }).connect("127.0.0.1", gateway.gateway().port()).sync().channel();
    }

    private static Http2Headers get(String path) {
        return new DefaultHttp2Headers().method("GET").scheme("http").authority("gw").path(path).add("x-api-key", KEY);
    }

    @Test
    void aRapidResetLoopIsCutOffWithAGoAway() throws Exception {
        CompletableFuture<Long> goAway = new CompletableFuture<>();
        Channel connection = connect(goAway);
        Http2StreamChannelBootstrap streams = new Http2StreamChannelBootstrap(connection).handler(Discard.INSTANCE);
        for (int i = 0; i < 400 && connection.isActive(); i++) {
            var opened = streams.open().await();
            if (!opened.isSuccess()) {
                break; // the gateway closed the connection: what this test waits for
            }
            Http2StreamChannel stream = opened.getNow();
            // Open (its request body still to come) until reset: every RST_STREAM reaches the gateway.
            stream.write(new DefaultHttp2HeadersFrame(get("/api/reset/" + i), false));
            stream.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
        }
        assertThat(connection.closeFuture().await(20, TimeUnit.SECONDS)).as("the gateway closed the connection").isTrue();
        // The GOAWAY can be lost: closing on a client that is still writing resets the socket, which discards
        // what the client had not read yet. When it arrives, it says why.
        if (goAway.isDone()) {
            assertThat(goAway.get()).isEqualTo(Http2Error.ENHANCE_YOUR_CALM.code());
        }
        assertThat(gateway.backend().requests().size()).as("requests that reached the backend").isLessThan(400);
    }

    @Test
    void aHeaderBlockOverTheLimitIs431AndNeverForwarded() throws Exception {
        Channel connection = connect(new CompletableFuture<>());
        CompletableFuture<Http2Headers> answer = new CompletableFuture<>();
        Http2StreamChannel stream = new Http2StreamChannelBootstrap(connection)
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        if (msg instanceof Http2HeadersFrame headers) {
                            answer.complete(headers.headers());
                        }
                        ReferenceCountUtil.release(msg);
                    }
                }).open().sync().getNow();
        // 40 KiB of headers against the default max_header_size of 32 KiB.
        stream.writeAndFlush(new DefaultHttp2HeadersFrame(get("/api/big").add("x-big", "b".repeat(40 * 1024)), true));
        assertThat(answer.get(20, TimeUnit.SECONDS).status().toString()).isEqualTo("431");
        assertThat(gateway.backend().requests()).isEmpty();
    }

    /** A stream that records the response status it gets, or -1 when it is reset or closed without one. */
    private static Http2StreamChannel stream(Channel connection, CompletableFuture<Integer> status)
            throws InterruptedException {
        return new Http2StreamChannelBootstrap(connection).handler(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof Http2HeadersFrame headers && headers.headers().status() != null) {
                    status.complete(Integer.parseInt(headers.headers().status().toString()));
                }
                ReferenceCountUtil.release(msg);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                status.complete(-1);
            }
        }).open().sync().getNow();
    }

    @Test
    void aBodyOverTheRoutesLimitIs413AndNeverForwarded() throws Exception {
        Channel connection = connect(new CompletableFuture<>());
        CompletableFuture<Integer> declared = new CompletableFuture<>();
        Http2StreamChannel first = stream(connection, declared);
        first.write(new DefaultHttp2HeadersFrame(post("/api/upload", 4096), false));
        first.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2DataFrame(
                io.netty.buffer.Unpooled.wrappedBuffer(new byte[4096]), true));
        assertThat(declared.get(20, TimeUnit.SECONDS)).isEqualTo(413);
        // Without a content-length, the body grows past the limit as DATA frames: the stream ends there.
        CompletableFuture<Integer> streamed = new CompletableFuture<>();
        Http2StreamChannel second = stream(connection, streamed);
        second.write(new DefaultHttp2HeadersFrame(post("/api/upload", -1), false));
        for (int i = 0; i < 4; i++) {
            second.write(new io.netty.handler.codec.http2.DefaultHttp2DataFrame(
                    io.netty.buffer.Unpooled.wrappedBuffer(new byte[512]), false));
        }
        second.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2DataFrame(
                io.netty.buffer.Unpooled.wrappedBuffer(new byte[512]), true));
        assertThat(streamed.get(20, TimeUnit.SECONDS)).isIn(413, -1);
        assertThat(gateway.backend().requests().stream().filter(r -> "4096".equals(r.header("Content-Length"))))
                .as("the declared 4 KiB body was never forwarded").isEmpty();
    }

    @Test
    void dataThatContradictsTheContentLengthIsAStreamErrorAndNeverACompleteRequest() throws Exception {
        Channel connection = connect(new CompletableFuture<>());
        CompletableFuture<Integer> status = new CompletableFuture<>();
        Http2StreamChannel stream = stream(connection, status);
        // content-length: 10, then DATA with a second request behind those 10 bytes: forwarded as it came, the
        // backend would read that request as its own.
        byte[] data = "0123456789GET /api/smuggled HTTP/1.1\r\nHost: gw\r\n\r\n"
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        stream.write(new DefaultHttp2HeadersFrame(post("/api/smuggle", 10), false));
        stream.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2DataFrame(
                io.netty.buffer.Unpooled.wrappedBuffer(data), true));
        assertThat(status.get(20, TimeUnit.SECONDS)).as("reset, or an error status; never a 200").isNotEqualTo(200);
        // A later request on the same connection shows the backend has seen everything it will see.
        CompletableFuture<Integer> after = new CompletableFuture<>();
        stream(connection, after).writeAndFlush(new DefaultHttp2HeadersFrame(get("/api/after"), true));
        assertThat(after.get(20, TimeUnit.SECONDS)).isEqualTo(200);
        assertThat(gateway.backend().requests()).noneMatch(r -> r.target().equals("/api/smuggled"));
    }

    @Test
    void aStreamWhoseBodyStopsComingIsEndedByTheBodyTimeout() throws Exception {
        Channel connection = connect(new CompletableFuture<>(), "h2c: true", "body_timeout: 300ms");
        CompletableFuture<Integer> status = new CompletableFuture<>();
        long start = System.nanoTime();
        // A body is announced and never sent: the slowloris of HTTP/2, one stream at a time.
        stream(connection, status).writeAndFlush(new DefaultHttp2HeadersFrame(post("/api/slow-upload", 100), false));
        assertThat(status.get(20, TimeUnit.SECONDS)).isIn(408, -1);
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(10));
        // The connection itself is still good for other streams.
        CompletableFuture<Integer> other = new CompletableFuture<>();
        stream(connection, other).writeAndFlush(new DefaultHttp2HeadersFrame(get("/api/other"), true));
        assertThat(other.get(20, TimeUnit.SECONDS)).isEqualTo(200);
    }

    @Test
    void aConnectionWithNoOpenStreamIsClosedAfterTheIdleTimeout() throws Exception {
        CompletableFuture<Long> goAway = new CompletableFuture<>();
        Channel connection = connect(goAway, "h2c: true", "idle_timeout: 300ms");
        CompletableFuture<Integer> status = new CompletableFuture<>();
        stream(connection, status).writeAndFlush(new DefaultHttp2HeadersFrame(get("/api/once"), true));
        assertThat(status.get(20, TimeUnit.SECONDS)).isEqualTo(200);
        long start = System.nanoTime();
        assertThat(connection.closeFuture().await(20, TimeUnit.SECONDS)).as("closed when idle").isTrue();
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(10));
        assertThat(goAway.get(5, TimeUnit.SECONDS)).isEqualTo(Http2Error.NO_ERROR.code());
    }

    private static Http2Headers post(String path, long length) {
        Http2Headers headers = new DefaultHttp2Headers().method("POST").scheme("http").authority("gw").path(path)
                .add("x-api-key", KEY);
        if (length >= 0) {
            headers.addLong("content-length", length);
        }
        return headers;
    }

    /** What a stream of the abusive client receives: dropped. */
    @io.netty.channel.ChannelHandler.Sharable
    private static final class Discard extends ChannelInboundHandlerAdapter {
        static final Discard INSTANCE = new Discard();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
