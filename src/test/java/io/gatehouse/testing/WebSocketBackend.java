package io.gatehouse.testing;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A backend that takes WebSocket upgrades, for the tunnel tests. By path:
 * <ul>
 *   <li>{@code .../echo} — a real WebSocket server (Netty's handshaker and frame codec) echoing text frames;</li>
 *   <li>{@code .../refuse} — answers the upgrade 403 with a JSON body;</li>
 *   <li>{@code .../raw-echo} — answers 101 by hand with {@code hello} in the same write, then echoes raw bytes and
 *       closes when it reads {@code bye};</li>
 *   <li>{@code .../raw-flood} — answers 101 by hand, then writes {@link #FLOOD} bytes of {@link #patternByte}
 *       while its socket takes them, counting in {@link #sent()};</li>
 *   <li>{@code .../raw-sink} — answers 101 by hand, then reads nothing until {@link #startReading()}, counting what
 *       it reads in {@link #received()}.</li>
 * </ul>
 * Every request head is kept ({@link #requests()}), and every connection ({@link #channels()}).
 */
public final class WebSocketBackend implements AutoCloseable {

    public static final long FLOOD = 64L * 1024 * 1024;
    /** The flood's bytes from any offset: {@code PATTERN[offset % 251 + i]} is the byte at {@code offset + i}. */
    private static final byte[] PATTERN = new byte[16 * 1024 + 251];

    static {
        for (int i = 0; i < PATTERN.length; i++) {
            PATTERN[i] = (byte) (i % 251);
        }
    }

    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final List<HttpHeaders> requests = new CopyOnWriteArrayList<>();
    private final List<Channel> channels = new CopyOnWriteArrayList<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong received = new AtomicLong();
    private final AtomicReference<Channel> sink = new AtomicReference<>();

    private WebSocketBackend() throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        ch.pipeline().addLast("codec", new HttpServerCodec())
                                .addLast("aggregator", new HttpObjectAggregator(64 * 1024))
                                .addLast("upgrade", new Upgrade());
                    }
                }).bind("127.0.0.1", 0).sync().channel();
    }

    public static WebSocketBackend start() {
        try {
            return new WebSocketBackend();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + ((java.net.InetSocketAddress) server.localAddress()).getPort();
    }

    public List<HttpHeaders> requests() {
        return requests;
    }

    public List<Channel> channels() {
        return channels;
    }

    public AtomicLong sent() {
        return sent;
    }

    public AtomicLong received() {
        return received;
    }

    /** The byte at {@code offset} of the flood. */
    public static byte patternByte(long offset) {
        return (byte) (offset % 251);
    }

    /** The sink connection starts reading, as fast as it can. */
    public void startReading() {
        Channel channel = sink.get();
        channel.eventLoop().execute(() -> {
            channel.config().setAutoRead(true);
            channel.read();
        });
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    private final class Upgrade extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) throws Exception {
            requests.add(request.headers().copy());
            String uri = request.uri();
            if (uri.endsWith("/refuse")) {
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.FORBIDDEN, Unpooled.copiedBuffer("{\"error\":\"no chat for you\"}",
                        StandardCharsets.UTF_8));
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
                ctx.writeAndFlush(response);
                return;
            }
            if (uri.endsWith("/echo")) {
                WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(
                        "ws://backend" + uri, null, false, 1024 * 1024).newHandshaker(request);
                ctx.pipeline().replace(this, "frames", new Echo(handshaker));
                handshaker.handshake(ctx.channel(), request);
                return;
            }
            String key = request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_KEY);
            String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                    .digest((key + GUID).getBytes(StandardCharsets.US_ASCII)));
            String head = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: " + accept + "\r\n\r\n";
            ctx.pipeline().remove("aggregator");
            ctx.pipeline().remove("codec");
            Channel channel = ctx.channel();
            if (uri.endsWith("/raw-echo")) {
                ctx.pipeline().replace(this, "raw", new RawEcho());
                ctx.writeAndFlush(Unpooled.copiedBuffer(head + "hello", StandardCharsets.US_ASCII));
            } else if (uri.endsWith("/raw-flood")) {
                ctx.pipeline().remove(this);
                channel.writeAndFlush(Unpooled.copiedBuffer(head, StandardCharsets.US_ASCII));
                flood(channel);
            } else if (uri.endsWith("/raw-sink")) {
                channel.config().setAutoRead(false);
                ctx.pipeline().replace(this, "count", new Count());
                sink.set(channel);
                channel.writeAndFlush(Unpooled.copiedBuffer(head, StandardCharsets.US_ASCII));
            } else {
                channel.close();
            }
        }
    }

    /** Writes the flood while the socket takes it, and again each time what it wrote has gone out. */
    private void flood(Channel channel) {
        while (channel.isActive() && sent.get() < FLOOD) {
            int n = (int) Math.min(16 * 1024, FLOOD - sent.get());
            // One bulk copy per chunk: under paranoid leak detection every single-byte write records a stack trace.
            ByteBuf chunk = channel.alloc().buffer(n).writeBytes(PATTERN, (int) (sent.get() % 251), n);
            sent.addAndGet(n);
            var written = channel.writeAndFlush(chunk);
            if (!channel.isWritable()) {
                written.addListener(f -> {
                    if (f.isSuccess()) {
                        flood(channel);
                    }
                });
                return;
            }
        }
    }

    private final class Count extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf bytes = (ByteBuf) msg;
            received.addAndGet(bytes.readableBytes());
            bytes.release();
        }
    }

    private static final class RawEcho extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf bytes = (ByteBuf) msg;
            if (bytes.toString(StandardCharsets.US_ASCII).contains("bye")) {
                bytes.release();
                ctx.writeAndFlush(Unpooled.copiedBuffer("bye", StandardCharsets.US_ASCII))
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            ctx.writeAndFlush(bytes);
        }
    }

    private static final class Echo extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final WebSocketServerHandshaker handshaker;

        Echo(WebSocketServerHandshaker handshaker) {
            this.handshaker = handshaker;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            if (frame instanceof CloseWebSocketFrame close) {
                handshaker.close(ctx.channel(), close.retain());
            } else if (frame instanceof TextWebSocketFrame text) {
                ctx.writeAndFlush(new TextWebSocketFrame(text.isFinalFragment(), 0, text.content().retain()));
            } else if (frame instanceof ContinuationWebSocketFrame more) {
                ctx.writeAndFlush(new ContinuationWebSocketFrame(more.isFinalFragment(), 0, more.content().retain()));
            }
        }
    }
}
