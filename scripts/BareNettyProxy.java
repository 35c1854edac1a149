import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.FastThreadLocal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The floor under Gatehouse in scripts/bench: the smallest Netty HTTP/1.1 proxy that can serve the benchmark, with
 * the same codecs, transport and backend pooling as Gatehouse but none of its features (no auth, rate limit, CORS,
 * request IDs, access log, limits, timeouts, backpressure or error handling). What it costs per request is what
 * Netty's HTTP codec and the JVM cost before Gatehouse adds anything. Not a product: benchmark use only.
 *
 *   java -cp target/gatehouse.jar scripts/BareNettyProxy.java LISTEN_PORT BACKEND_HOST BACKEND_PORT
 */
public final class BareNettyProxy {

    private static String backendHost;
    private static int backendPort;
    private static final FastThreadLocal<ArrayDeque<Channel>> POOL = new FastThreadLocal<>() {
        @Override
        protected ArrayDeque<Channel> initialValue() {
            return new ArrayDeque<>();
        }
    };

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        backendHost = args[1];
        backendPort = Integer.parseInt(args[2]);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
                EpollIoHandler.newFactory());
        new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new ClientSide());
                    }
                }).bind("127.0.0.1", port).sync();
        Thread.currentThread().join();
    }

    /** One request at a time per client connection, as wrk sends them. */
    private static final class ClientSide extends ChannelInboundHandlerAdapter {
        private Channel backend;
        private List<Object> waiting;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                Channel pooled = POOL.get().poll();
                if (pooled != null && pooled.isActive()) {
                    attach(ctx, pooled);
                } else {
                    waiting = new ArrayList<>();
                    connect(ctx);
                }
            }
            if (backend != null) {
                backend.write(msg);
            } else if (waiting != null) {
                waiting.add(msg);
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (backend != null) {
                backend.flush();
            }
        }

        private void connect(ChannelHandlerContext ctx) {
            EventLoop loop = ctx.channel().eventLoop();
            new Bootstrap().group(loop).channel(EpollSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new BackendSide());
                        }
                    })
                    .connect(backendHost, backendPort).addListener((ChannelFutureListener) f -> {
                        if (!f.isSuccess()) {
                            ctx.close();
                            return;
                        }
                        attach(ctx, f.channel());
                        for (Object queued : waiting) {
                            backend.write(queued);
                        }
                        waiting = null;
                        backend.flush();
                    });
        }

        private void attach(ChannelHandlerContext ctx, Channel channel) {
            backend = channel;
            channel.pipeline().get(BackendSide.class).client = ctx.channel();
            channel.pipeline().get(BackendSide.class).owner = this;
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (backend != null) {
                backend.close();
            }
        }
    }

    private static final class BackendSide extends ChannelInboundHandlerAdapter {
        Channel client;
        ClientSide owner;
        /** The client written to during this socket read: flushed once at its end. */
        private Channel unflushed;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof HttpObject) || client == null) {
                ReferenceCountUtil.release(msg);
                return;
            }
            client.write(msg);
            unflushed = client;
            if (msg instanceof LastHttpContent) {
                owner.backend = null;
                client = null;
                owner = null;
                POOL.get().push(ctx.channel());
            }
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            if (unflushed != null) {
                unflushed.flush();
                unflushed = null;
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            POOL.get().remove(ctx.channel());
            if (client != null) {
                client.close();
            }
        }
    }
}
