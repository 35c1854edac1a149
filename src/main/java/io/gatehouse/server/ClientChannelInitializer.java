package io.gatehouse.server;

import io.gatehouse.config.ServerConfig;
import io.gatehouse.flow.ReadOnDemandHandler;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.pipeline.AccessLog;
import io.gatehouse.pipeline.CacheRecorder;
import io.gatehouse.pipeline.ResponseFinisher;
import io.gatehouse.proxy.BackendForwarder;
import io.gatehouse.proxy.BackendPools;
import io.gatehouse.proxy.ClientSwitch;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The client-side pipeline, in order. It holds only what is per connection: the codec, read pacing, deadlines,
 * keep-alive bookkeeping, the one finisher every response passes on its way out, and the exchange handler, which
 * runs each request through its route's filter chain (see {@code io.gatehouse.pipeline.Filters} for that order)
 * and forwards it.
 */
public final class ClientChannelInitializer extends ChannelInitializer<SocketChannel> {

    /**
     * Requests the codec may hold decoded but unanswered. Reads are paced, so this is bounded by what one socket
     * read can carry (64 KiB of the smallest requests); Netty's default of 128 would refuse a legitimate pipeline.
     */
    private static final int MAX_DECODED_AHEAD = 8192;

    private final Supplier<RuntimeConfig> config;
    private final BooleanSupplier draining;
    private final BackendPools pools;
    private final ResponseFinisher finisher;

    public ClientChannelInitializer(Supplier<RuntimeConfig> config, BooleanSupplier draining, BackendPools pools) {
        this(config, draining, pools, null);
    }

    /** With the server's access log ({@code access_log}); null logs text through the {@code access} logger. */
    public ClientChannelInitializer(Supplier<RuntimeConfig> config, BooleanSupplier draining, BackendPools pools,
                                    AccessLog accessLog) {
        this.config = config;
        this.draining = draining;
        this.pools = pools;
        this.finisher = accessLog == null ? new ResponseFinisher(config) : new ResponseFinisher(config, accessLog);
    }

    /** The name of the idle handler, which {@link ClientConnectionHandler} replaces when a reload changes it. */
    static final String IDLE = "idle";

    /** Writer-idle (output progress observed) for {@code write_timeout}; all-idle for {@code idle_timeout}. */
    static IdleStateHandler idleHandler(ServerConfig server) {
        return new IdleStateHandler(true, 0, server.writeTimeout().toNanos(), server.idleTimeout().toNanos(),
                TimeUnit.NANOSECONDS);
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        RuntimeConfig snapshot = config.get();
        ServerConfig server = snapshot.config().server();
        ChannelPipeline pipeline = ch.pipeline();
        if (snapshot.serverTls() != null) {
            // Becomes the SslHandler for a TLS client; a plain-HTTP one is answered 400 and closed.
            pipeline.addLast("tls", ServerTls.firstHandler(snapshot.serverTls(), server.tls().handshakeTimeout()));
            if (server.h2OverTls()) {
                // HTTP/1.1 or HTTP/2, as the handshake's ALPN chose: the handlers come once it is done.
                pipeline.addLast("alpn", new Http2Connections.ProtocolChoice(this, server));
                return;
            }
        } else if (server.http2().h2c()) {
            pipeline.addLast("h2c-detect", new Http2Connections.PriorKnowledge(this, server));
            return;
        }
        http1(pipeline, server);
    }

    /** The HTTP/1.1 handlers, after TLS when there is TLS. */
    void http1(ChannelPipeline pipeline, ServerConfig server) {
        ClientDeadlineHandler deadlines = new ClientDeadlineHandler(() -> config.get().config().server());
        pipeline.addLast("first-byte", deadlines.rawBytesWatcher());
        pipeline.addLast("codec", new HttpServerCodec(new HttpDecoderConfig()
                .setMaxInitialLineLength(server.maxRequestLine())
                .setMaxHeaderSize(server.maxHeaderSize())
                .setMaxChunkSize(server.maxChunkSize())
                .setAllowDuplicateContentLengths(false)
                .setStrictLineParsing(true)
                .setUseRfc9112TransferEncoding(true), MAX_DECODED_AHEAD));
        // Holds back the decoder's extra messages while autoRead is off: one message per read().
        pipeline.addLast("flow", new ReadOnDemandHandler());
        // Writer-idle (with output progress observed) backs the write timeout; all-idle the keep-alive timeout.
        pipeline.addLast(IDLE, idleHandler(server));
        pipeline.addLast("deadlines", deadlines);
        pipeline.addLast("connection", new ClientConnectionHandler(config, draining));
        exchangeHandlers(pipeline);
    }

    /**
     * The handlers of one HTTP/2 stream, after the codec that turns its frames into HTTP/1.1 messages: the same
     * request/response cycle, finisher, cache and exchange as a HTTP/1.1 connection, so every policy applies alike.
     * A stream has no request head to time (its headers arrive as one frame), and its body deadline, write timeout
     * and idle timeout are the connection settings.
     */
    void http2Stream(ChannelPipeline pipeline, ServerConfig server) {
        pipeline.addLast("flow", new ReadOnDemandHandler());
        pipeline.addLast(IDLE, idleHandler(server));
        pipeline.addLast("deadlines", new ClientDeadlineHandler(() -> config.get().config().server()));
        pipeline.addLast("connection", new ClientConnectionHandler(config, draining));
        exchangeHandlers(pipeline);
    }

    private void exchangeHandlers(ChannelPipeline pipeline) {
        pipeline.addLast("finisher", finisher);
        pipeline.addLast("cache", CacheRecorder.INSTANCE);
        pipeline.addLast("exchange", new ExchangeHandler(client -> new BackendForwarder(pools, client, TO_TUNNEL)));
    }

    /**
     * A WebSocket upgrade went through: everything that reads or frames HTTP goes (the codec last, so anything it
     * still holds reaches the relay), the finisher stays for the access line at the close, and the keep-alive idle
     * timer becomes the tunnel's.
     */
    static final ClientSwitch TO_TUNNEL = (pipeline, relay, idleTimeout) -> {
        List<Object> early = pipeline.get(ReadOnDemandHandler.class).takeQueued();
        pipeline.remove("exchange");
        pipeline.remove("cache");
        pipeline.remove("connection");
        pipeline.remove("deadlines");
        pipeline.remove("first-byte");
        pipeline.remove("flow");
        pipeline.replace(IDLE, IDLE, new IdleStateHandler(true, 0, 0, idleTimeout.toNanos(), TimeUnit.NANOSECONDS));
        pipeline.addLast("tunnel", relay);
        pipeline.remove("codec");
        return early;
    };
}
