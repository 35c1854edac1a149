package io.gatehouse.testing;

import io.netty.bootstrap.ServerBootstrap;
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
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend that parses what the gateway forwards with a strict HTTP/1.1 decoder and records every request that a
 * second parser could read another way: a decoding failure, Content-Length with Transfer-Encoding, a coding other
 * than chunked, several Content-Length or Host values, control bytes in the target. Answers each complete request
 * 200 "ok".
 */
public final class StrictRecordingBackend implements AutoCloseable {

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final AtomicInteger requests = new AtomicInteger();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private final Set<String> targets = ConcurrentHashMap.newKeySet();

    public StrictRecordingBackend() throws InterruptedException {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(new HttpDecoderConfig()
                                        .setStrictLineParsing(true)
                                        .setAllowDuplicateContentLengths(false)
                                        .setMaxHeaderSize(64 * 1024)
                                        .setMaxInitialLineLength(64 * 1024)),
                                new Recorder());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    public int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    public int requests() {
        return requests.get();
    }

    /** Every request target received. */
    public Set<String> targets() {
        return Set.copyOf(targets);
    }

    public List<String> violations() {
        return List.copyOf(violations);
    }

    private final class Recorder extends SimpleChannelInboundHandler<HttpObject> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
            if (msg.decoderResult().isFailure()) {
                violations.add("undecodable: " + msg.decoderResult().cause());
                ctx.close();
                return;
            }
            if (msg instanceof HttpRequest request) {
                requests.incrementAndGet();
                targets.add(request.uri());
                check(request);
            }
            if (msg instanceof HttpContent && !(msg instanceof LastHttpContent)) {
                return;
            }
            if (msg instanceof LastHttpContent) {
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                        ctx.alloc().buffer(2).writeBytes("ok".getBytes(StandardCharsets.US_ASCII)));
                response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 2);
                ctx.writeAndFlush(response);
            }
        }

        private void check(HttpRequest request) {
            var headers = request.headers();
            List<String> te = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
            List<String> cl = headers.getAll(HttpHeaderNames.CONTENT_LENGTH);
            if (!te.isEmpty() && !cl.isEmpty()) {
                violations.add("Content-Length with Transfer-Encoding: " + request.uri());
            }
            if (te.size() > 1 || (te.size() == 1 && !te.get(0).equals("chunked"))) {
                violations.add("Transfer-Encoding " + te);
            }
            if (cl.size() > 1) {
                violations.add("Content-Length " + cl);
            }
            if (headers.getAll(HttpHeaderNames.HOST).size() != 1) {
                violations.add("Host " + headers.getAll(HttpHeaderNames.HOST));
            }
            for (char c : request.uri().toCharArray()) {
                if (c <= 0x20 || c >= 0x7f) {
                    violations.add("control or non-ASCII byte in target: " + request.uri());
                    break;
                }
            }
            for (var header : headers) {
                for (char c : header.getValue().toCharArray()) {
                    if (c == '\r' || c == '\n' || c == 0) {
                        violations.add("CR, LF or NUL in header " + header.getKey());
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        server.close().awaitUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly();
    }
}
