package io.gatehouse.admin;

import io.gatehouse.exchange.Json;
import io.gatehouse.cache.HttpCache;
import io.gatehouse.reload.ReloadOutcome;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.List;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Answers the admin listener's requests, each aggregated (they are small): {@code GET /metrics} through the
 * Prometheus library's writers (text 0.0.4, or OpenMetrics when {@code Accept} asks for it), {@code /ready},
 * {@code /live}, {@code /config}, and {@code POST /reload}; 405 for another method on those, 404 JSON for anything else. Releases every
 * request it is given ({@link SimpleChannelInboundHandler}).
 */
@Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(AdminHandler.class);

    private static final io.netty.util.AttributeKey<Boolean> RELOADING =
            io.netty.util.AttributeKey.valueOf(AdminHandler.class, "reloading");

    private final AdminState state;
    private final ExpositionFormats formats = ExpositionFormats.init();

    AdminHandler(AdminState state) {
        this.state = state;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (ctx.channel().hasAttr(RELOADING)) {
            return; // pipelined behind a reload: the connection closes after the reload's answer
        }
        if (request.decoderResult().isFailure()) {
            send(ctx, request, json(ctx, HttpResponseStatus.BAD_REQUEST, "{\"error\":\"Bad request\"}"), true);
            return;
        }
        String uri = request.uri();
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        if (path.equals("/cache")) {
            send(ctx, request, cache(ctx, request.method(), uri), false);
            return;
        }
        boolean known = switch (path) {
            case "/metrics", "/ready", "/live", "/config", "/reload" -> true;
            default -> false;
        };
        if (!known) {
            send(ctx, request, json(ctx, HttpResponseStatus.NOT_FOUND, "{\"error\":\"Not found\"}"), false);
            return;
        }
        HttpMethod method = request.method();
        if (path.equals("/reload")) {
            reload(ctx, request);
            return;
        }
        if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
            FullHttpResponse response = json(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "{\"error\":\"Method not allowed\"}");
            response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            send(ctx, request, response, false);
            return;
        }
        FullHttpResponse response = switch (path) {
            case "/metrics" -> metrics(ctx, request.headers().get(HttpHeaderNames.ACCEPT));
            case "/ready" -> state.ready()
                    ? json(ctx, HttpResponseStatus.OK, "{\"status\":\"ready\"}")
                    : json(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "{\"status\":\"draining\"}");
            case "/live" -> json(ctx, HttpResponseStatus.OK, "{\"status\":\"live\"}");
            default -> json(ctx, HttpResponseStatus.OK, config(state.configStatus()));
        };
        send(ctx, request, response, false);
    }

    /** {@code DELETE /cache} drops every cached response; {@code DELETE /cache?route=PREFIX} one route's. */
    private FullHttpResponse cache(ChannelHandlerContext ctx, HttpMethod method, String uri) {
        if (!HttpMethod.DELETE.equals(method)) {
            FullHttpResponse response = json(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "{\"error\":\"Method not allowed\"}");
            response.headers().set(HttpHeaderNames.ALLOW, "DELETE");
            return response;
        }
        HttpCache cache = state.cache();
        if (cache == null) {
            return json(ctx, HttpResponseStatus.NOT_FOUND, "{\"error\":\"No cache is configured\"}");
        }
        List<String> routes = new QueryStringDecoder(uri).parameters().getOrDefault("route", List.of());
        if (routes.isEmpty()) {
            cache.purge();
            return json(ctx, HttpResponseStatus.OK, "{\"purged\":\"all\"}");
        }
        if (routes.size() > 1) {
            return json(ctx, HttpResponseStatus.BAD_REQUEST, "{\"error\":\"Give one route\"}");
        }
        String route = routes.get(0);
        if (!cache.config().routes().containsKey(route)) {
            return json(ctx, HttpResponseStatus.NOT_FOUND, "{\"error\":" + Json.quote("No route with prefix "
                    + route + " caches responses") + "}");
        }
        int keys = cache.purge(route);
        return json(ctx, HttpResponseStatus.OK, "{\"purged\":" + keys + ",\"route\":" + Json.quote(route) + "}");
    }

    /**
     * {@code POST /reload}: the same reload as SIGHUP, answered when it is done — 200 with the result
     * ({@code success} or {@code unchanged}) and the running generation, or 422 with the refusal. The connection
     * stops reading while it waits and closes after the answer, so a pipelined request is never answered first.
     */
    private void reload(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!HttpMethod.POST.equals(request.method())) {
            FullHttpResponse response = json(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "{\"error\":\"Method not allowed\"}");
            response.headers().set(HttpHeaderNames.ALLOW, "POST");
            send(ctx, request, response, false);
            return;
        }
        java.util.concurrent.CompletionStage<ReloadOutcome> outcome = state.reload();
        if (outcome == null) {
            send(ctx, request, json(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "{\"error\":\"No config file to reload from\"}"), false);
            return;
        }
        ctx.channel().config().setAutoRead(false);
        ctx.channel().attr(RELOADING).set(Boolean.TRUE);
        outcome.whenComplete((result, failure) -> ctx.executor().execute(() -> {
            if (!ctx.channel().isActive()) {
                return;
            }
            FullHttpResponse response;
            if (failure != null || result == null) {
                response = json(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, "{\"error\":\"Reload failed\"}");
            } else {
                response = json(ctx, result.result() == ReloadOutcome.Result.FAILURE
                        ? HttpResponseStatus.UNPROCESSABLE_ENTITY : HttpResponseStatus.OK, reloadJson(result));
            }
            HttpUtil.setContentLength(response, response.content().readableBytes());
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }));
    }

    static String reloadJson(ReloadOutcome outcome) {
        StringBuilder out = new StringBuilder(128)
                .append("{\"result\":").append(Json.quote(outcome.result().label()))
                .append(",\"generation\":").append(outcome.generation())
                .append(",\"sha256\":").append(outcome.sha256() == null ? "null" : Json.quote(outcome.sha256()));
        if (outcome.error() != null) {
            out.append(",\"error\":").append(Json.quote(outcome.error()));
        }
        return out.append('}').toString();
    }

    private FullHttpResponse metrics(ChannelHandlerContext ctx, String accept) {
        ExpositionFormatWriter writer = formats.findWriter(accept);
        if (!writer.isAvailable()) {
            // The protobuf format's writer is not on the class path: fall back to the text format.
            writer = formats.getPrometheusTextFormatWriter();
        }
        ByteBuf body = ctx.alloc().buffer(16 * 1024);
        try (ByteBufOutputStream out = new ByteBufOutputStream(body)) {
            writer.write(out, state.registry().scrape());
        } catch (IOException | RuntimeException e) {
            body.release();
            LOG.warn("metrics exposition failed: {}", e.toString());
            return json(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, "{\"error\":\"Metrics unavailable\"}");
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, writer.getContentType());
        return response;
    }

    static String config(ConfigStatus status) {
        StringBuilder out = new StringBuilder(256)
                .append("{\"generation\":").append(status.generation())
                .append(",\"loaded_at\":").append(instant(status.loadedAt()))
                .append(",\"sha256\":").append(status.sha256() == null ? "null" : Json.quote(status.sha256()))
                .append(",\"pending_restart\":[");
        for (int i = 0; i < status.pendingRestart().size(); i++) {
            out.append(i == 0 ? "" : ",").append(Json.quote(status.pendingRestart().get(i)));
        }
        out.append("],\"last_reload_error\":");
        if (status.lastError() == null) {
            out.append("null");
        } else {
            out.append("{\"at\":").append(instant(status.lastErrorAt()))
                    .append(",\"message\":").append(Json.quote(status.lastError())).append('}');
        }
        return out.append('}').toString();
    }

    /** RFC 3339, UTC, milliseconds, as the JSON access log writes its {@code ts}. */
    private static final DateTimeFormatter RFC_3339 = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private static String instant(Instant at) {
        return at == null ? "null" : Json.quote(RFC_3339.format(at));
    }

    private static FullHttpResponse json(ChannelHandlerContext ctx, HttpResponseStatus status, String json) {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                ctx.alloc().buffer(bytes.length).writeBytes(bytes));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        return response;
    }

    private static void send(ChannelHandlerContext ctx, FullHttpRequest request, FullHttpResponse response,
                             boolean close) {
        boolean keepAlive = !close && HttpUtil.isKeepAlive(request);
        HttpUtil.setContentLength(response, response.content().readableBytes());
        if (HttpMethod.HEAD.equals(request.method())) {
            response.content().clear();
        }
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (!request.protocolVersion().isKeepAliveDefault()) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        var future = ctx.writeAndFlush(response);
        if (!keepAlive) {
            future.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("admin connection failed: {}", cause.toString());
        ctx.close();
    }
}
