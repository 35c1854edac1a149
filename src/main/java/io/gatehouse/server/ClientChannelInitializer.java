package io.gatehouse.server;

import io.gatehouse.pipeline.AccessLogHandler;
import io.gatehouse.config.ServerConfig;
import io.gatehouse.pipeline.ApiKeyAuthHandler;
import io.gatehouse.pipeline.BodyLimitHandler;
import io.gatehouse.pipeline.CorsHandler;
import io.gatehouse.pipeline.FramingGuardHandler;
import io.gatehouse.pipeline.HealthHandler;
import io.gatehouse.pipeline.RateLimitHandler;
import io.gatehouse.pipeline.RequestIdHandler;
import io.gatehouse.pipeline.RoutingHandler;
import io.gatehouse.proxy.BackendPools;
import io.gatehouse.proxy.HopByHopHandler;
import io.gatehouse.proxy.ProxyHandler;
import io.gatehouse.ratelimit.RateLimiter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The client-side pipeline, in order. Inbound messages travel down this list; responses travel back up it, so
 * the handlers that decorate responses (request ID, CORS, rate-limit headers) and the access log see every
 * response, the gateway's own errors included.
 */
public final class ClientChannelInitializer extends ChannelInitializer<SocketChannel> {

    /**
     * Requests the codec may hold decoded but unanswered. Reads are paced, so this is bounded by what one socket
     * read can carry (64 KiB of the smallest requests); Netty's default of 128 would refuse a legitimate pipeline.
     */
    private static final int MAX_DECODED_AHEAD = 8192;

    private static final RequestIdHandler REQUEST_ID = new RequestIdHandler();
    private static final AccessLogHandler ACCESS_LOG = new AccessLogHandler();
    private static final HopByHopHandler HOP_BY_HOP = new HopByHopHandler();

    private final Supplier<RuntimeConfig> config;
    private final BooleanSupplier draining;
    private final RateLimiter limiter;
    private final BackendPools pools;

    public ClientChannelInitializer(Supplier<RuntimeConfig> config, BooleanSupplier draining, RateLimiter limiter,
                                    BackendPools pools) {
        this.config = config;
        this.draining = draining;
        this.limiter = limiter;
        this.pools = pools;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ServerConfig server = config.get().config().server();
        ClientDeadlineHandler deadlines = new ClientDeadlineHandler(server);
        ChannelPipeline pipeline = ch.pipeline();
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
        pipeline.addLast("idle", new IdleStateHandler(true, 0, server.writeTimeout().toNanos(),
                server.idleTimeout().toNanos(), TimeUnit.NANOSECONDS));
        pipeline.addLast("deadlines", deadlines);
        pipeline.addLast("connection", new ClientConnectionHandler(config, draining));
        pipeline.addLast("hop-by-hop", HOP_BY_HOP);
        pipeline.addLast("request-id", REQUEST_ID);
        pipeline.addLast("access-log", ACCESS_LOG);
        pipeline.addLast("framing", new FramingGuardHandler());
        pipeline.addLast("cors", new CorsHandler());
        pipeline.addLast("health", new HealthHandler());
        pipeline.addLast("routing", new RoutingHandler());
        pipeline.addLast("auth", new ApiKeyAuthHandler());
        pipeline.addLast("body-limit", new BodyLimitHandler());
        pipeline.addLast("rate-limit", new RateLimitHandler(limiter));
        pipeline.addLast("proxy", new ProxyHandler(pools));
    }
}
