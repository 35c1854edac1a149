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
        gateway = GatewayFixture.withBackend(TestBackend.ok("ok"))
                .start(url -> GatewayYaml.standard().server("h2c: true").route("/api", url));
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
            stream.write(new DefaultHttp2HeadersFrame(get("/api/" + i), true));
            stream.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.CANCEL));
        }
        assertThat(goAway.get(20, TimeUnit.SECONDS)).isEqualTo(Http2Error.ENHANCE_YOUR_CALM.code());
        assertThat(connection.closeFuture().await(20, TimeUnit.SECONDS)).isTrue();
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
