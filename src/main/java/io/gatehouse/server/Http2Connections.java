package io.gatehouse.server;

import io.gatehouse.config.ServerConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/2 from clients. A connection becomes HTTP/2 by ALPN ({@code h2}) on a TLS listener or, with {@code h2c:
 * true}, by the connection preface on a cleartext one; it then carries Netty's frame codec and a multiplexer, and
 * each stream is a child channel running the same request cycle, filters and forwarding as an HTTP/1.1 connection,
 * its frames turned into HTTP/1.1 messages. Backends stay HTTP/1.1, on the same pools.
 * <p>
 * The limits are explicit: {@code http2_max_streams} concurrent streams, a header list no larger than
 * {@code max_header_size}, at most 200 RST_STREAM frames from the client per 30 s (rapid reset, CVE-2023-44487),
 * at most 2 consecutive empty DATA frames and a bounded run of small CONTINUATION frames (CONTINUATION flood). Flow
 * control is the read pacing: a stream's DATA is consumed, and its window given back, only as its request body
 * reaches the backend; its response goes out while the stream's window and the connection take it, so a slow
 * stream holds back its own backend and no other stream.
 */
final class Http2Connections {

    /** RST_STREAM frames a client may send per window before the connection is closed (rapid reset). */
    static final int MAX_RESETS = 200;
    static final int RESET_WINDOW_SECONDS = 30;
    /** Consecutive DATA frames without payload before the connection is closed. */
    static final int MAX_EMPTY_DATA_FRAMES = 2;
    /** CONTINUATION frames of under 16 KiB in a row before the connection is closed. */
    static final int MAX_SMALL_CONTINUATIONS = 16;

    private static final List<CharSequence> EXTENSION_HEADERS = List.of(
            HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text(),
            HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(),
            HttpConversionUtil.ExtensionHeaderNames.PATH.text(),
            HttpConversionUtil.ExtensionHeaderNames.STREAM_PROMISE_ID.text(),
            HttpConversionUtil.ExtensionHeaderNames.STREAM_DEPENDENCY_ID.text(),
            HttpConversionUtil.ExtensionHeaderNames.STREAM_WEIGHT.text());

    private Http2Connections() {
    }

    /** Makes {@code channel} an HTTP/2 connection whose streams get {@code initializer}'s stream handlers. */
    static void configure(Channel channel, ClientChannelInitializer initializer, ServerConfig server) {
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                .initialSettings(Http2Settings.defaultSettings()
                        .maxConcurrentStreams(server.http2().maxStreams())
                        .maxHeaderListSize(server.maxHeaderSize()))
                .validateHeaders(true)
                .decoderEnforceMaxRstFramesPerWindow(MAX_RESETS, RESET_WINDOW_SECONDS)
                .decoderEnforceMaxConsecutiveEmptyDataFrames(MAX_EMPTY_DATA_FRAMES)
                .decoderEnforceMaxSmallContinuationFrames(MAX_SMALL_CONTINUATIONS)
                // A GOAWAY lets the open streams finish, within the drain deadline.
                .gracefulShutdownTimeoutMillis(server.shutdownTimeout().toMillis())
                .build();
        ChannelPipeline pipeline = channel.pipeline();
        pipeline.addLast("h2", codec);
        pipeline.addLast(ClientChannelInitializer.IDLE, new IdleStateHandler(0, 0, server.idleTimeout().toNanos(),
                TimeUnit.NANOSECONDS));
        pipeline.addLast("h2-idle", new IdleConnectionClose(codec));
        pipeline.addLast("h2-streams", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel stream) {
                // Read-after-write pacing per stream: its DATA frames are consumed only as they are asked for.
                stream.config().setAutoRead(false);
                stream.pipeline().addLast("h2-codec", new Http2StreamFrameToHttpObjectCodec(true));
                stream.pipeline().addLast("h2-request", StreamRequests.INSTANCE);
                initializer.http2Stream(stream.pipeline(), server);
            }
        }));
        pipeline.addLast("h2-errors", ConnectionErrors.INSTANCE);
        // Frames for every stream arrive on the connection; the streams pace themselves.
        channel.config().setAutoRead(true);
    }

    /** After the TLS handshake: HTTP/2 if the client chose {@code h2}, HTTP/1.1 otherwise. */
    static final class ProtocolChoice extends ApplicationProtocolNegotiationHandler {
        private final ClientChannelInitializer initializer;
        private final ServerConfig server;

        ProtocolChoice(ClientChannelInitializer initializer, ServerConfig server) {
            super(ApplicationProtocolNames.HTTP_1_1);
            this.initializer = initializer;
            this.server = server;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            // Nothing after this handler reads yet: the handshake needs the first bytes.
            ctx.read();
            super.channelActive(ctx);
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                configure(ctx.channel(), initializer, server);
            } else {
                initializer.http1(ctx.pipeline(), server);
                // From the tail, through the read pacing: the request the handshake's last read brought follows.
                ctx.channel().read();
            }
        }
    }

    /** On a cleartext listener with {@code h2c: true}: the HTTP/2 connection preface, or HTTP/1.1. */
    static final class PriorKnowledge extends ByteToMessageDecoder {
        private static final byte[] PREFACE = ByteBufUtil.getBytes(Http2CodecUtil.connectionPrefaceBuf());
        private final ClientChannelInitializer initializer;
        private final ServerConfig server;

        PriorKnowledge(ClientChannelInitializer initializer, ServerConfig server) {
            this.initializer = initializer;
            this.server = server;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            ctx.read();
            super.channelActive(ctx);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            int n = Math.min(in.readableBytes(), PREFACE.length);
            for (int i = 0; i < n; i++) {
                if (in.getByte(in.readerIndex() + i) != PREFACE[i]) {
                    // Not the preface: an HTTP/1.1 client. What was read goes to its codec as this handler leaves.
                    initializer.http1(ctx.pipeline(), server);
                    ctx.pipeline().remove(this);
                    ctx.channel().read();
                    return;
                }
            }
            if (n == PREFACE.length) {
                configure(ctx.channel(), initializer, server);
                ctx.pipeline().remove(this);
            }
        }
    }

    /**
     * Makes a stream's request look as HTTP/1.1 delivers one: without the extension headers Netty's conversion adds
     * ({@code x-http2-stream-id}, {@code x-http2-scheme}, ...: they describe this hop, and a backend must not see
     * them, nor a client be able to send them), and as a head followed by its end, never as one full message (a
     * HEADERS frame that ends the stream would otherwise arrive as a {@code FullHttpRequest}).
     */
    @ChannelHandler.Sharable
    static final class StreamRequests extends ChannelInboundHandlerAdapter {
        static final StreamRequests INSTANCE = new StreamRequests();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof HttpRequest request)) {
                ctx.fireChannelRead(msg);
                return;
            }
            for (CharSequence name : EXTENSION_HEADERS) {
                request.headers().remove(name);
            }
            if (!(msg instanceof FullHttpRequest full)) {
                ctx.fireChannelRead(msg);
                return;
            }
            HttpRequest head = new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(),
                    full.headers());
            head.setDecoderResult(full.decoderResult());
            LastHttpContent end = full.content().isReadable() || !full.trailingHeaders().isEmpty()
                    ? new DefaultLastHttpContent(full.content().retain(), full.trailingHeaders())
                    : LastHttpContent.EMPTY_LAST_CONTENT;
            full.release();
            ctx.fireChannelRead(head);
            ctx.fireChannelRead(end);
        }
    }

    /**
     * The last handler of an HTTP/2 connection: a protocol error is the frame codec's to answer (a GOAWAY, or a reset
     * stream); here errors are logged without a stack trace, and one that is not HTTP/2's (an I/O failure) closes.
     */
    @ChannelHandler.Sharable
    private static final class ConnectionErrors extends ChannelInboundHandlerAdapter {
        static final ConnectionErrors INSTANCE = new ConnectionErrors();
        private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Http2Connections.class);

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("HTTP/2 connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            // The codec passes a protocol error on before it answers it (GOAWAY with the error's code, then the
            // close): closing here first would send a GOAWAY that says nothing went wrong.
            if (!(cause instanceof io.netty.handler.codec.http2.Http2Exception)) {
                ctx.close();
            }
        }
    }

    /** Closes (with a GOAWAY) a connection that carried no frame for {@code idle_timeout} and has no open stream. */
    private static final class IdleConnectionClose extends ChannelInboundHandlerAdapter {
        private final Http2FrameCodec codec;

        IdleConnectionClose(Http2FrameCodec codec) {
            this.codec = codec;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent idle && idle.state() == IdleState.ALL_IDLE) {
                if (codec.connection().numActiveStreams() == 0) {
                    ctx.close();
                }
                return;
            }
            super.userEventTriggered(ctx, evt);
        }
    }
}
