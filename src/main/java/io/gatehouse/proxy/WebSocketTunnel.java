package io.gatehouse.proxy;

import io.gatehouse.exchange.Exchange;
import io.gatehouse.flow.ReadOnDemandHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * A WebSocket connection through the gateway, once the backend answered the upgrade with {@code 101}: the client
 * gets that {@code 101}, then both connections drop their HTTP handlers and become a byte relay. Frames are not
 * parsed; bytes go through as they come, with the proxy's read-after-write pacing in both directions (the next read
 * on one side only while the other side's socket takes more), so a slow reader on either end slows the writer on the
 * other and nothing piles up in the gateway. Either side closing (or failing, or the route's
 * {@code websocket_idle_timeout} passing with no byte either way) closes the other once what was already relayed is
 * flushed. Bytes each way are counted on the exchange; its access line is written when the client connection
 * closes. Both connections share one event loop, and everything here runs on it.
 */
final class WebSocketTunnel {

    private static final Logger LOG = LoggerFactory.getLogger(WebSocketTunnel.class);

    private WebSocketTunnel() {
    }

    /**
     * Opens the tunnel between {@code client} (the exchange handler's context) and {@code backend}, whose
     * response head {@code switched} said 101. Runs as a task of its own on the loop, so that no pipeline is
     * changed while one of its handlers is still on the stack, and the decoder has handed on what followed the
     * {@code 101} in the same read.
     */
    static void open(ChannelHandlerContext client, Channel backend, HttpResponse switched, Exchange exchange,
                     ClientSwitch clientSwitch, Duration idleTimeout) {
        backend.eventLoop().execute(() -> {
            Channel clientChannel = client.channel();
            if (!clientChannel.isActive() || !backend.isActive()) {
                exchange.failure(clientChannel.isActive() ? "backend closed the websocket at once"
                        : "client closed the connection");
                backend.close();
                clientChannel.close();
                return;
            }
            exchange.status(HttpResponseStatus.SWITCHING_PROTOCOLS.code());
            exchange.tunnelled(true);
            HttpHeaders headers = switched.headers();
            HopByHopHeaders.strip(headers);
            headers.set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            // Encoded into the client's outbound buffer right here, before its codec goes.
            client.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.SWITCHING_PROTOCOLS, Unpooled.EMPTY_BUFFER, headers,
                    EmptyHttpHeaders.INSTANCE), clientChannel.voidPromise());

            Relay toClient = new Relay(exchange, false);
            Relay toBackend = new Relay(exchange, true);
            toClient.pair(clientChannel, toBackend);
            toBackend.pair(backend, toClient);

            List<Object> fromBackend = backend.pipeline().get(ReadOnDemandHandler.class).takeQueued();
            backend.pipeline().remove(BackendHandler.class);
            backend.pipeline().remove(ReadOnDemandHandler.class);
            backend.pipeline().addLast("tunnel", toClient);
            List<Object> early = clientSwitch.toTunnel(clientChannel.pipeline(), toBackend, idleTimeout);
            if (!early.isEmpty()) {
                early.forEach(ReferenceCountUtil::release);
                fromBackend.forEach(ReferenceCountUtil::release);
                exchange.failure("client sent data before the websocket handshake completed");
                clientChannel.close();
                backend.close();
                return;
            }
            // Whatever the backend sent right behind its 101 goes first, in order; the decoder, switched to raw
            // bytes by the 101, hands anything it still holds to the relay as it is removed.
            for (Object msg : fromBackend) {
                toClient.relay(msg);
            }
            backend.pipeline().remove(BackendCodec.class);
            toClient.readIfPeerTakesMore();
            toBackend.readIfPeerTakesMore();
        });
    }

    /** Reads one side and writes the other; one per side, each knowing the other. */
    static final class Relay extends ChannelInboundHandlerAdapter {
        private final Exchange exchange;
        private final boolean fromClient;
        private ChannelHandlerContext ctx;
        private Channel peer;
        private Relay other;
        /** A read is owed once the peer's socket takes more. */
        private boolean waitingForPeer;

        Relay(Exchange exchange, boolean fromClient) {
            this.exchange = exchange;
            this.fromClient = fromClient;
        }

        private void pair(Channel peer, Relay other) {
            this.peer = peer;
            this.other = other;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            relay(msg);
            readIfPeerTakesMore();
        }

        /** Writes {@code msg} to the peer if it is bytes; anything else (the end of the 101) is dropped. */
        private void relay(Object msg) {
            if (!(msg instanceof ByteBuf bytes) || !bytes.isReadable()) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (fromClient) {
                exchange.addBytesIn(bytes.readableBytes());
            } else {
                exchange.addBytesOut(bytes.readableBytes());
            }
            // A failed write reaches the peer's relay as an exception, which closes both.
            peer.writeAndFlush(bytes, peer.voidPromise());
        }

        private void readIfPeerTakesMore() {
            if (!ctx.channel().isActive()) {
                return;
            }
            if (peer.isWritable()) {
                waitingForPeer = false;
                ctx.read();
            } else {
                waitingForPeer = true;
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // This side drained: the other side may read again.
            if (ctx.channel().isWritable() && other.waitingForPeer) {
                other.readIfPeerTakesMore();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                exchange.failure("websocket idle timeout");
                ctx.close();
                return;
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (peer.isActive()) {
                // What was relayed already still reaches the peer; then it closes too.
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof IOException) {
                LOG.debug("websocket {} side failed: {}", fromClient ? "client" : "backend", cause.toString());
            } else {
                LOG.warn("websocket {} side failed: {}", fromClient ? "client" : "backend", cause.toString());
            }
            exchange.failure((fromClient ? "client" : "backend") + " websocket connection failed");
            ctx.close();
        }
    }
}
