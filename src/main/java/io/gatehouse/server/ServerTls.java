package io.gatehouse.server;

import io.gatehouse.config.TlsConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.OptionalSslHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;

/**
 * TLS on the client listener: the context built from {@code server.tls} (OpenSSL through netty-tcnative when it
 * loads on this machine, the JDK's provider otherwise; ALPN offers {@code h2} when HTTP/2 is on, and
 * {@code http/1.1}), and the first handler of a
 * connection, which tells a TLS client from a plain-HTTP one by its first bytes. A TLS client gets the
 * {@link SslHandler}, with the handshake timeout; a plain-HTTP request is answered {@code 400} in plain text and the
 * connection closed, rather than left to a TLS alert the client cannot read.
 */
final class ServerTls {

    private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);
    /** A certificate this close to its end is worth a warning at every load. */
    private static final Duration EXPIRY_WARNING = Duration.ofDays(14);
    private static final byte[] PLAIN_HTTP_REFUSED = ("HTTP/1.1 400 Bad Request\r\n"
            + "Content-Type: application/json\r\nContent-Length: 55\r\nConnection: close\r\n\r\n"
            + "{\"error\":\"This port speaks HTTPS: use an https:// URL\"}").getBytes(StandardCharsets.US_ASCII);

    private ServerTls() {
    }

    /** The provider in use: OpenSSL when netty-tcnative loads here. */
    static SslProvider provider() {
        return OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
    }

    /**
     * The context for {@code tls}, or null for cleartext; with {@code h2}, ALPN offers {@code h2} before
     * {@code http/1.1}. Call off the event loops (at start and on reload); a
     * failure is an {@link IllegalStateException} naming the certificate, and changes nothing.
     */
    static SslContext context(TlsConfig tls, boolean h2) {
        if (tls == null) {
            return null;
        }
        warnIfExpiring(tls);
        try {
            return SslContextBuilder.forServer(tls.privateKey(), tls.chain().toArray(X509Certificate[]::new))
                    .sslProvider(provider())
                    .protocols(tls.protocols())
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                            h2 ? new String[]{ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1}
                                    : new String[]{ApplicationProtocolNames.HTTP_1_1}))
                    .build();
        } catch (SSLException | RuntimeException e) {
            throw new IllegalStateException("server.tls: cannot use " + tls.cert() + " with " + tls.key() + ": "
                    + e.getMessage(), e);
        }
    }

    private static void warnIfExpiring(TlsConfig tls) {
        Instant end = tls.leaf().getNotAfter().toInstant();
        Instant now = Instant.now();
        if (end.isBefore(now)) {
            LOG.warn("server.tls: the certificate in {} expired at {}: clients will refuse it", tls.cert(), end);
        } else if (end.isBefore(now.plus(EXPIRY_WARNING))) {
            LOG.warn("server.tls: the certificate in {} expires at {}", tls.cert(), end);
        } else if (tls.leaf().getNotBefore().toInstant().isAfter(now)) {
            LOG.warn("server.tls: the certificate in {} is not valid before {}", tls.cert(),
                    tls.leaf().getNotBefore().toInstant());
        }
    }

    /** The first handler of a connection on a TLS listener. */
    static ChannelHandler firstHandler(SslContext context, Duration handshakeTimeout) {
        return new OptionalSslHandler(context) {
            @Override
            protected SslHandler newSslHandler(ChannelHandlerContext ctx, SslContext sslContext) {
                SslHandler handler = sslContext.newHandler(ctx.alloc());
                handler.setHandshakeTimeoutMillis(handshakeTimeout.toMillis());
                return handler;
            }

            @Override
            protected String newSslHandlerName() {
                return "tls";
            }

            @Override
            protected ChannelHandler newNonSslHandler(ChannelHandlerContext ctx) {
                return new PlainHttpRefusal();
            }
        };
    }

    /** Answers 400 in plain text, drops whatever else the client sends, and closes. */
    private static final class PlainHttpRefusal extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ByteBuf answer = Unpooled.wrappedBuffer(PLAIN_HTTP_REFUSED);
            ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }
}
