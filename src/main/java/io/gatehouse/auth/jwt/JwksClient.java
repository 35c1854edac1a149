package io.gatehouse.auth.jwt;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.resolver.AddressResolverGroup;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fetches key sets over HTTP(S) with Netty, on an event loop group of its own and Netty's asynchronous resolver:
 * one {@code GET} per connection, the response aggregated (a key set is small; more than {@value #MAX_BODY} bytes
 * is refused), a status other than 200 a failure, no redirects followed. HTTPS checks the certificate against the
 * JDK's trust store and the host name. Not the proxy path: nothing here touches client traffic.
 */
public final class JwksClient {

    static final int MAX_BODY = 512 * 1024;
    private static final int CONNECT_TIMEOUT_MILLIS = 5000;
    private static final int READ_TIMEOUT_SECONDS = 10;
    private static final Pattern MAX_AGE = Pattern.compile("(?:^|[,\\s])max-age\\s*=\\s*\"?([0-9]{1,10})");

    /** A successful fetch: the body and the response's {@code Cache-Control: max-age}, or null without one. */
    public record Response(String body, Duration maxAge) {
    }

    private final EventLoopGroup group;
    private final Class<? extends Channel> channelType;
    private final AddressResolverGroup<? extends SocketAddress> resolver;
    private volatile SslContext ssl;

    public JwksClient(EventLoopGroup group, Class<? extends Channel> channelType,
                      AddressResolverGroup<? extends SocketAddress> resolver) {
        this.group = group;
        this.channelType = channelType;
        this.resolver = resolver;
    }

    /** Fetches {@code uri}; the future fails with a message fit for a log line (no body, no header values). */
    public CompletableFuture<Response> get(URI uri) {
        CompletableFuture<Response> result = new CompletableFuture<>();
        boolean https = "https".equalsIgnoreCase(uri.getScheme());
        String host = uri.getHost().startsWith("[") ? uri.getHost().substring(1, uri.getHost().length() - 1)
                : uri.getHost();
        int port = uri.getPort() > 0 ? uri.getPort() : https ? 443 : 80;
        SslContext context;
        try {
            context = https ? sslContext() : null;
        } catch (SSLException e) {
            result.completeExceptionally(new JwksFetchException("TLS is not available: " + e.getMessage()));
            return result;
        }
        Bootstrap bootstrap = new Bootstrap()
                .group(group)
                .channel(channelType)
                .resolver(resolver)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MILLIS)
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (context != null) {
                            SslHandler tls = context.newHandler(ch.alloc(), host, port);
                            SSLParameters parameters = tls.engine().getSSLParameters();
                            parameters.setEndpointIdentificationAlgorithm("HTTPS");
                            tls.engine().setSSLParameters(parameters);
                            ch.pipeline().addLast(tls);
                        }
                        ch.pipeline().addLast(new ReadTimeoutHandler(READ_TIMEOUT_SECONDS, TimeUnit.SECONDS),
                                new HttpClientCodec(), new HttpObjectAggregator(MAX_BODY), new ResponseHandler(result));
                    }
                });
        bootstrap.connect(host, port).addListener((ChannelFutureListener) connected -> {
            if (!connected.isSuccess()) {
                result.completeExceptionally(new JwksFetchException("cannot connect: " + describe(connected.cause())));
                return;
            }
            String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
            if (uri.getRawQuery() != null) {
                path += "?" + uri.getRawQuery();
            }
            FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
            boolean defaultPort = uri.getPort() < 0 || uri.getPort() == (https ? 443 : 80);
            request.headers()
                    .set(HttpHeaderNames.HOST, defaultPort ? uri.getRawAuthority().replaceAll(":[0-9]+$", "")
                            : uri.getRawAuthority())
                    .set(HttpHeaderNames.ACCEPT, "application/jwk-set+json, application/json")
                    .set(HttpHeaderNames.USER_AGENT, "gatehouse")
                    .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            connected.channel().writeAndFlush(request).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
            // Whatever happens, the connection does not outlive the answer.
            result.whenComplete((r, e) -> connected.channel().close());
        });
        return result;
    }

    private SslContext sslContext() throws SSLException {
        SslContext context = ssl;
        if (context == null) {
            context = SslContextBuilder.forClient().build();
            ssl = context;
        }
        return context;
    }

    /** The seconds of {@code max-age} in a Cache-Control value, or null. */
    static Duration maxAge(String cacheControl) {
        if (cacheControl == null) {
            return null;
        }
        Matcher m = MAX_AGE.matcher(cacheControl.toLowerCase(Locale.ROOT));
        return m.find() ? Duration.ofSeconds(Long.parseLong(m.group(1))) : null;
    }

    private static String describe(Throwable cause) {
        return cause == null ? "unknown error" : cause.getClass().getSimpleName()
                + (cause.getMessage() != null ? ": " + cause.getMessage() : "");
    }

    /** A fetch failed; the message says why in a few words. */
    static final class JwksFetchException extends Exception {
        JwksFetchException(String message) {
            super(message, null, false, false);
        }
    }

    private static final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final CompletableFuture<Response> result;

        ResponseHandler(CompletableFuture<Response> result) {
            this.result = result;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            if (response.decoderResult().isFailure()) {
                result.completeExceptionally(new JwksFetchException("malformed response"));
            } else if (response.status().code() != 200) {
                result.completeExceptionally(new JwksFetchException("status " + response.status().code()));
            } else {
                result.complete(new Response(response.content().toString(StandardCharsets.UTF_8),
                        maxAge(response.headers().get(HttpHeaderNames.CACHE_CONTROL))));
            }
            ctx.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            String why = cause instanceof io.netty.handler.codec.TooLongFrameException
                    ? "response larger than " + MAX_BODY + " bytes"
                    : cause instanceof io.netty.handler.timeout.ReadTimeoutException ? "timed out" : describe(cause);
            result.completeExceptionally(new JwksFetchException(why));
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            result.completeExceptionally(new JwksFetchException("connection closed before a response"));
        }
    }
}
