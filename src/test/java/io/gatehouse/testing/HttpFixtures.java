package io.gatehouse.testing;

import io.gatehouse.config.ConfigException;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.pipeline.Filters;
import io.gatehouse.proxy.Forwarder;
import io.gatehouse.ratelimit.RateLimiter;
import io.gatehouse.ratelimit.LocalRateLimiter;
import io.gatehouse.config.GatewayConfig;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import java.nio.charset.StandardCharsets;
import java.util.function.Function;

/**
 * Building blocks for {@code EmbeddedChannel} tests of the client-side handlers: a compiled config, request parts
 * with reference-counted bodies, and a stand-in for the connection handler that starts an {@link Exchange} for each
 * request head.
 */
public final class HttpFixtures {

    public static final String KEY = "key_live_abc123";
    public static final String CLIENT = "mobile-app";
    public static final String ORIGIN = "https://app.example.com";

    /** One keyed route, one open route, CORS for one origin. */
    public static final String YAML = """
            auth:
              keys:
                - key: key_live_abc123
                  name: mobile-app
                  rate_limit: 100
                - key: key_live_def456_longer_than_the_other
                  name: web-dashboard
                  rate_limit: 500
            cors:
              allow_origins: ["https://app.example.com"]
              max_age: 10m
            routes:
              - prefix: /api/users
                upstream: http://localhost:4001
                strip_prefix: true
              - prefix: /open
                upstream: http://localhost:4002
                auth: none
            """;

    private HttpFixtures() {
    }

    public static RuntimeConfig config() {
        return config(YAML);
    }

    public static RuntimeConfig config(String yaml) {
        GatewayConfig parsed = parse(yaml);
        return Filters.compile(parsed, new LocalRateLimiter(System::nanoTime));
    }

    /** The snapshot for {@code yaml} with its rate-limit filters on {@code limiter}. */
    public static RuntimeConfig config(String yaml, RateLimiter limiter) {
        return Filters.compile(parse(yaml), limiter);
    }

    private static GatewayConfig parse(String yaml) {
        try {
            return ConfigLoader.parse(yaml, "test.yaml");
        } catch (ConfigException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * For {@code EmbeddedChannel} tests of the exchange handler: a forwarder that passes what the filters let
     * through on to the next handler, where {@code readInbound()} finds it — the head, its body, and for a request
     * forwarded complete an {@code EMPTY_LAST_CONTENT}.
     */
    public static final Function<ChannelHandlerContext, Forwarder> PASS_ON = ctx -> new Forwarder() {
        @Override
        public boolean busy() {
            return false;
        }

        @Override
        public void forward(Exchange exchange, HttpRequest request, boolean complete) {
            ctx.fireChannelRead(request);
            if (complete && !(request instanceof LastHttpContent)) {
                ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
            }
        }

        @Override
        public void content(HttpContent content) {
            ctx.fireChannelRead(content);
        }

        @Override
        public void abandon() {
        }

        @Override
        public void clientWritabilityChanged() {
        }

        @Override
        public void clientClosed() {
        }
    };

    /** An exchange for {@code request} on the {@code config} snapshot, as the connection handler starts one. */
    public static Exchange exchange(RuntimeConfig config, HttpRequest request) {
        return new Exchange(config, request, System.nanoTime());
    }

    /** A request head with a Host header and the given extra header name/value pairs. */
    public static HttpRequest request(HttpMethod method, String uri, String... headers) {
        return request(HttpVersion.HTTP_1_1, method, uri, headers);
    }

    public static HttpRequest request(HttpVersion version, HttpMethod method, String uri, String... headers) {
        HttpRequest request = new DefaultHttpRequest(version, method, uri);
        request.headers().set(HttpHeaderNames.HOST, "gateway.test");
        for (int i = 0; i < headers.length; i += 2) {
            request.headers().add(headers[i], headers[i + 1]);
        }
        return request;
    }

    public static HttpContent content(String text) {
        return new DefaultHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }

    public static LastHttpContent last(String text) {
        return new DefaultLastHttpContent(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
    }

    /** Reads the next outbound message as a full response; the caller releases it. */
    public static FullHttpResponse readResponse(EmbeddedChannel channel) {
        Object out = channel.readOutbound();
        if (!(out instanceof FullHttpResponse response)) {
            throw new AssertionError("expected a FullHttpResponse, got " + out);
        }
        return response;
    }

    public static String body(FullHttpResponse response) {
        return response.content().toString(StandardCharsets.UTF_8);
    }

    /** Stands in for the connection handler: starts an {@link Exchange} for each request head. */
    public static final class ExchangeStarter extends ChannelInboundHandlerAdapter {
        private final RuntimeConfig config;

        public ExchangeStarter(RuntimeConfig config) {
            this.config = config;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest request) {
                Exchange.set(ctx.channel(), new Exchange(config, request, System.nanoTime()));
            }
            ctx.fireChannelRead(msg);
        }
    }
}
