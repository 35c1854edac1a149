package io.gatehouse.server;

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
 * The socket implementation. {@code -Dgatehouse.transport=auto|io_uring|epoll|nio} chooses; {@code auto} (the
 * default) is native epoll on Linux when its library loads, NIO everywhere else. io_uring is there to be measured
 * against epoll ({@code scripts/bench --baseline} with the same jar and another {@code -Dgatehouse.transport}); a
 * transport that was asked for but cannot load falls back to the next one (io_uring, epoll, NIO), with a warning.
 */
public record Transport(
        String name,
        IoHandlerFactory ioHandlerFactory,
        Class<? extends ServerChannel> serverChannel,
        Class<? extends SocketChannel> socketChannel,
        Class<? extends DatagramChannel> datagramChannel) {

    private static final Logger LOG = LoggerFactory.getLogger(Transport.class);

    public static Transport best() {
        String wanted = Boolean.getBoolean("gatehouse.nio") ? "nio" : System.getProperty("gatehouse.transport", "auto");
        switch (wanted) {
            case "io_uring":
                if (IoUring.isAvailable()) {
                    return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                            IoUringSocketChannel.class, IoUringDatagramChannel.class);
                }
                LOG.warn("io_uring is not available here ({}); using the next transport",
                        IoUring.unavailabilityCause().toString());
                // fall through
            case "auto":
            case "epoll":
                if (Epoll.isAvailable()) {
                    return epoll();
                }
                if (!wanted.equals("auto")) {
                    LOG.warn("epoll is not available here; using NIO");
                }
                return nio();
            case "nio":
                return nio();
            default:
                throw new IllegalArgumentException("gatehouse.transport must be auto, io_uring, epoll or nio: "
                        + wanted);
        }
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
