package io.gatehouse.server;

import io.gatehouse.config.TransportKind;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The socket implementation, as {@code server.transport} asks: {@code auto} (the default) is native epoll where it
 * loads, else NIO. {@code io_uring} is opt-in: it measured fastest here (docs/performance.md), but Netty 4.2.18's
 * io_uring transport leaked a read buffer and once aborted the JVM in this project's test suite, so it is not chosen
 * by itself. A transport asked for by name that cannot load falls back to the next one (io_uring, epoll, NIO) with a
 * warning. {@code -Dgatehouse.transport=auto|io_uring|epoll|nio} overrides the config, for A/B measurements.
 */
public record Transport(
        String name,
        IoHandlerFactory ioHandlerFactory,
        Class<? extends ServerChannel> serverChannel,
        Class<? extends SocketChannel> socketChannel,
        Class<? extends DatagramChannel> datagramChannel) {

    private static final Logger LOG = LoggerFactory.getLogger(Transport.class);

    public static Transport of(TransportKind configured) {
        TransportKind wanted = override(configured);
        switch (wanted) {
            case IO_URING:
                if (IoUring.isAvailable()) {
                    return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                            IoUringSocketChannel.class, IoUringDatagramChannel.class);
                }
                LOG.warn("io_uring is not available here ({}); trying epoll",
                        String.valueOf(IoUring.unavailabilityCause()));
                // fall through
            case AUTO:
            case EPOLL:
                if (Epoll.isAvailable()) {
                    return epoll();
                }
                if (wanted != TransportKind.AUTO) {
                    LOG.warn("epoll is not available here; using NIO");
                }
                return nio();
            default:
                return nio();
        }
    }

    private static TransportKind override(TransportKind configured) {
        String property = System.getProperty("gatehouse.transport");
        if (property == null) {
            return configured;
        }
        return switch (property) {
            case "auto" -> TransportKind.AUTO;
            case "io_uring" -> TransportKind.IO_URING;
            case "epoll" -> TransportKind.EPOLL;
            case "nio" -> TransportKind.NIO;
            default -> throw new IllegalArgumentException(
                    "gatehouse.transport must be auto, io_uring, epoll or nio: " + property);
        };
    }

    private static Transport epoll() {
        return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                EpollSocketChannel.class, EpollDatagramChannel.class);
    }

    public static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class,
                NioSocketChannel.class, NioDatagramChannel.class);
    }

    public MultiThreadIoEventLoopGroup newGroup(int threads, String poolName) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(poolName, true), ioHandlerFactory);
    }
}
