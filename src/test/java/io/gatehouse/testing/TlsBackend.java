package io.gatehouse.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SniHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.pkitesting.X509Bundle;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTPS backend for the tests of {@code https://} targets: answers every request 200 {@code secure <path>},
 * and keeps each request's headers, the SNI name each connection asked for (empty without one) and how many
 * connections completed a handshake.
 */
public final class TlsBackend implements AutoCloseable {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final List<HttpHeaders> requests = new CopyOnWriteArrayList<>();
    private final List<String> serverNames = new CopyOnWriteArrayList<>();
    private final AtomicInteger handshakes = new AtomicInteger();

    private TlsBackend(X509Bundle certificate) throws Exception {
        SslContext context = SslContextBuilder.forServer(certificate.getKeyPair().getPrivate(),
                certificate.getCertificatePath()).build();
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new SniHandler(name -> {
                            serverNames.add(name == null ? "" : name);
                            return context;
                        }) {
                            @Override
                            protected void onLookupComplete(ChannelHandlerContext ctx, io.netty.util.concurrent.Future<SslContext> future) throws Exception {
                                super.onLookupComplete(ctx, future);
                                ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class).handshakeFuture()
                                        .addListener(f -> {
                                            if (f.isSuccess()) {
                                                handshakes.incrementAndGet();
                                            }
                                        });
                            }
                        });
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1024 * 1024),
                                new SimpleChannelInboundHandler<FullHttpRequest>() {
                                    @Override
                                    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                                        requests.add(request.headers().copy());
                                        byte[] body = ("secure " + request.uri()).getBytes(StandardCharsets.UTF_8);
                                        var response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                                                HttpResponseStatus.OK, Unpooled.wrappedBuffer(body));
                                        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
                                        ctx.writeAndFlush(response);
                                    }
                                });
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    public static TlsBackend start(X509Bundle certificate) {
        try {
            return new TlsBackend(certificate);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return ((java.net.InetSocketAddress) server.localAddress()).getPort();
    }

    public List<HttpHeaders> requests() {
        return requests;
    }

    public List<String> serverNames() {
        return serverNames;
    }

    public int handshakes() {
        return handshakes.get();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
