package io.gatehouse.server;

import static io.gatehouse.testing.HttpFixtures.CLIENT;
import static io.gatehouse.testing.HttpFixtures.KEY;
import static io.gatehouse.testing.HttpFixtures.ORIGIN;
import static io.gatehouse.testing.HttpFixtures.YAML;
import static io.gatehouse.testing.HttpFixtures.body;
import static io.gatehouse.testing.HttpFixtures.config;
import static io.gatehouse.testing.HttpFixtures.content;
import static io.gatehouse.testing.HttpFixtures.last;
import static io.gatehouse.testing.HttpFixtures.readResponse;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.Filter;
import io.gatehouse.exchange.FilterChain;
import io.gatehouse.exchange.RequestIds;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.exchange.Verdict;
import io.gatehouse.pipeline.ResponseFinisher;
import io.gatehouse.proxy.Forwarder;
import io.gatehouse.config.RateLimitPolicyConfig;
import io.gatehouse.ratelimit.RateLimitDecision;
import io.gatehouse.ratelimit.RateLimitResult;
import io.gatehouse.ratelimit.RateLimiter;
import io.gatehouse.ratelimit.RateLimiterUnavailableException;
import io.gatehouse.testing.HttpFixtures;
import io.gatehouse.testing.HttpFixtures.ExchangeStarter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

class ExchangeHandlerTest {

    private static final RuntimeConfig CONFIG = config();
    /** An open route whose bodies may be at most 4 bytes. */
    private static final RuntimeConfig SMALL_BODIES = config("""
            routes:
              - prefix: /upload
                upstream: http://localhost:4001
                auth: none
                max_body: 4
            """);
    private static final RateLimitDecision ALLOWED = RateLimitDecision.allow(100, 42, 60_000);

    private final Recorder recorder = new Recorder();
    private EmbeddedChannel channel = open(CONFIG);

    // Early answers

    @Test
    void answersEarlyAndReleasesTheRequestAndEveryLaterBodyPiecePassingNothingOn() {
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request(HttpMethod.POST, "/api/users", "Content-Length", "4"), body, end);

        assertAnswered(HttpResponseStatus.UNAUTHORIZED, "{\"error\":\"Missing X-API-Key header\"}", false);
        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
        assertThat(recorder.forwarded).isEmpty();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answersAPreflightOnceItsEndIsReadAndPassesNotEvenTheEmptyLastContentOn() {
        channel.writeInbound(request(HttpMethod.OPTIONS, "/api/users", "Origin", ORIGIN));
        assertThat((Object) channel.readOutbound()).as("the end of a bodyless request is read first").isNull();

        channel.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = readResponse(channel);
        assertThat(response.status()).isEqualTo(HttpResponseStatus.NO_CONTENT);
        response.release();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(recorder.forwarded).isEmpty();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void keepsAStrayEmptyLastContentAfterAnAnsweredPreflightFromTheForwarder() {
        channel.writeInbound(fullRequest(HttpMethod.OPTIONS, "/api/users", ""));
        readResponse(channel).release();

        channel.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat((Object) channel.readInbound()).isNull();
        assertThat(recorder.forwarded).isEmpty();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void releasesTheBodyOfAPreflight() {
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request(HttpMethod.OPTIONS, "/api/users", "Origin", ORIGIN, "Content-Length", "4"),
                body, end);
        readResponse(channel).release();

        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answersAPreflightWith204AndTheFullCorsHeadersThroughTheFinisher() {
        channel = openWithFinisher(CONFIG);

        channel.writeInbound(request(HttpMethod.OPTIONS, "/api/users", "Origin", ORIGIN,
                "Access-Control-Request-Method", "POST"), LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = readResponse(channel);
        HttpHeaders headers = response.headers();
        assertThat(response.status()).isEqualTo(HttpResponseStatus.NO_CONTENT);
        assertThat(response.content().readableBytes()).isZero();
        assertThat(headers.contains(HttpHeaderNames.CONTENT_LENGTH)).isFalse();
        assertThat(headers.get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isEqualTo(ORIGIN);
        assertThat(headers.get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS))
                .isEqualTo("GET, POST, PUT, DELETE, OPTIONS");
        assertThat(headers.get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS)).isEqualTo("Content-Type, X-API-Key");
        assertThat(headers.get(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE)).isEqualTo("600");
        assertThat(headers.getAll(HttpHeaderNames.VARY)).containsExactly("origin");
        assertThat(headers.get(RequestIds.HEADER)).isEqualTo(Exchange.of(channel).requestId());
        response.release();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answersAPreflightFromAnOriginNotAllowedWithoutCorsHeadersThroughTheFinisher() {
        channel = openWithFinisher(CONFIG);

        channel.writeInbound(request(HttpMethod.OPTIONS, "/api/users", "Origin", "https://evil.example"),
                LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = readResponse(channel);
        assertThat(response.status()).isEqualTo(HttpResponseStatus.NO_CONTENT);
        assertThat(response.headers().contains(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isFalse();
        assertThat(response.headers().contains(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE)).isFalse();
        assertThat(response.headers().get(HttpHeaderNames.VARY)).isEqualToIgnoringCase("Origin");
        response.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answersAPreflightWithTheWildcardOriginWhenAnyOriginIsAllowed() {
        channel = openWithFinisher(config("""
                routes:
                  - prefix: /api
                    upstream: http://localhost:4001
                """));

        channel.writeInbound(request(HttpMethod.OPTIONS, "/api", "Origin", "https://any.example"),
                LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = readResponse(channel);
        assertThat(response.headers().get(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN)).isEqualTo("*");
        assertThat(response.headers().get(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE)).isEqualTo("600");
        assertThat(response.headers().contains(HttpHeaderNames.VARY)).isFalse();
        response.release();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answersHeadHealthWithTheLengthButNoBody() {
        channel.writeInbound(request(HttpMethod.HEAD, "/health"), LastHttpContent.EMPTY_LAST_CONTENT);

        FullHttpResponse response = readResponse(channel);
        assertThat(response.status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(response.content().readableBytes()).isZero();
        assertThat(response.headers().getInt(HttpHeaderNames.CONTENT_LENGTH))
                .isEqualTo("{\"status\":\"ok\",\"routes\":[\"/api/users\",\"/open\"]}".length());
        response.release();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void releasesTheBodyOfAHealthRequest() {
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request(HttpMethod.GET, "/health", "Content-Length", "4"), body, end);

        assertAnswered(HttpResponseStatus.OK, "{\"status\":\"ok\",\"routes\":[\"/api/users\",\"/open\"]}", false);
        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answers404AndReleasesTheBodyWhenNoRouteMatches() {
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request(HttpMethod.POST, "/api/usersX", "Content-Length", "4"), body, end);

        assertAnswered(HttpResponseStatus.NOT_FOUND, "{\"error\":\"Route not found\"}", false);
        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void rejectsAFullRequestWithABadKeyAndReleasesIt() {
        FullHttpRequest request = fullRequest(HttpMethod.POST, "/api/users", "body");
        request.headers().set("X-API-Key", "nope");

        channel.writeInbound(request);

        assertAnswered(HttpResponseStatus.FORBIDDEN, "{\"error\":\"Invalid API key\"}", false);
        assertThat(request.refCnt()).isZero();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answers400WithACloseForTheInvalidFullRequestTheDecoderMakesAndReleasesIt() {
        DefaultFullHttpRequest invalid = new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET,
                "/bad-request", Unpooled.copiedBuffer("x", StandardCharsets.UTF_8));
        invalid.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("invalid version")));

        channel.writeInbound(invalid);

        assertAnswered(HttpResponseStatus.BAD_REQUEST, "{\"error\":\"Malformed request\"}", true);
        assertThat(invalid.refCnt()).isZero();
        assertThat(Exchange.of(channel).failure()).isEqualTo("rejected: Malformed request");
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answersWhatTheRealDecoderRejectsWithACloseAndPassesNothingOn() {
        channel = new EmbeddedChannel(new HttpServerCodec(), new ExchangeStarter(CONFIG),
                new ExchangeHandler(recorder));

        channel.writeInbound(ascii("GET /api/users HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n"));

        assertThat((Object) channel.readInbound()).isNull();
        String text = readAscii(channel);
        assertThat(text).startsWith("HTTP/1.1 400 Bad Request\r\n").containsIgnoringCase("connection: close");
        assertThat(recorder.forwarded).isEmpty();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void recordsTheRejectionOnTheExchange() {
        channel.writeInbound(request(HttpMethod.CONNECT, "gateway.test:443"), LastHttpContent.EMPTY_LAST_CONTENT);
        readResponse(channel).release();

        assertThat(Exchange.of(channel).failure()).isEqualTo("rejected: CONNECT is not supported");
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void handlesTheNextRequestNormallyAfterDiscardingARejectedBody() {
        HttpContent rejectedBody = content("ab");
        channel.writeInbound(request(HttpMethod.POST, "/api/users", "Content-Length", "2"), rejectedBody,
                LastHttpContent.EMPTY_LAST_CONTENT);
        readResponse(channel).release();

        HttpRequest next = request(HttpMethod.POST, "/api/users", "X-API-Key", KEY, "Content-Length", "2");
        LastHttpContent nextBody = last("cd");
        channel.writeInbound(next, nextBody);

        assertThat(rejectedBody.refCnt()).isZero();
        assertThat((Object) channel.readInbound()).isSameAs(next);
        assertThat((Object) channel.readInbound()).isSameAs(nextBody);
        assertThat(nextBody.refCnt()).isEqualTo(1);
        nextBody.release();
        assertThat(channel.finish()).isFalse();
    }

    /**
     * In the gateway the connection handler swallows the rest of an early-answered body itself, so this handler
     * never sees that body's last content: the next request head must end the discarding, or its body is eaten.
     */
    @Test
    void passesTheNextRequestsBodyOnWhenTheRejectedBodyNeverArrivedHere() {
        channel.writeInbound(request(HttpMethod.POST, "/api/users", "Content-Length", "2"));
        readResponse(channel).release();

        HttpRequest next = request(HttpMethod.POST, "/api/users", "X-API-Key", KEY, "Content-Length", "2");
        LastHttpContent nextBody = last("cd");
        channel.writeInbound(next, nextBody);

        assertThat((Object) channel.readInbound()).isSameAs(next);
        assertThat((Object) channel.readInbound()).isSameAs(nextBody);
        assertThat(nextBody.refCnt()).isEqualTo(1);
        nextBody.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answers500WhenAFilterThrowsAndForwardsNothing() {
        Filter broken = filter("broken", exchange -> {
            throw new IllegalStateException("bug");
        });
        channel = open(withEntry(broken));
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request(HttpMethod.POST, "/api/users", "Content-Length", "4"), body, end);

        assertAnswered(HttpResponseStatus.INTERNAL_SERVER_ERROR, "{\"error\":\"Internal gateway error\"}", false);
        assertThat(Exchange.of(channel).failure()).isEqualTo("filter failed");
        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
        assertThat(channel.finish()).isFalse();
    }

    // Forwarding

    @Test
    void forwardsABodylessRequestCompleteOnceItsEndIsRead() {
        HttpRequest request = keyed(HttpMethod.GET, "/api/users/42");

        channel.writeInbound(request);
        assertThat(recorder.forwarded).as("the end is awaited first").isEmpty();
        channel.writeInbound(LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(recorder.forwarded).containsExactly("complete " + request.uri());
        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat((Object) channel.readInbound()).isNull();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void forwardsAFullRequestAsItIs() {
        FullHttpRequest request = fullRequest(HttpMethod.POST, "/open/x", "body");

        channel.writeInbound(request);

        assertThat(recorder.forwarded).containsExactly("complete /open/x");
        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(request.refCnt()).isEqualTo(1);
        request.release();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void forwardsARequestWithABodyAndThenItsBodyPieceByPieceUnchanged() {
        HttpRequest request = keyed(HttpMethod.POST, "/api/users", "Content-Length", "4");
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request, body, end);

        assertThat(recorder.forwarded).containsExactly("streaming /api/users");
        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(body);
        assertThat((Object) channel.readInbound()).isSameAs(end);
        assertThat(body.refCnt()).isEqualTo(1);
        assertThat(end.refCnt()).isEqualTo(1);
        body.release();
        end.release();
        assertThat(Exchange.of(channel).client().name()).isEqualTo(CLIENT);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void releasesBodyContentThatBelongsToNoRequest() {
        HttpContent stray = content("ab");

        channel.writeInbound(stray);

        assertThat(stray.refCnt()).isZero();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    // Request head rewriting

    @Test
    void stripsHopByHopHeadersAndSetsTheRequestIdBeforeAnyFilterRuns() {
        List<HttpHeaders> seen = new ArrayList<>();
        channel = open(withEntry(filter("peek", exchange -> {
            seen.add(exchange.requestHeaders().copy());
            return Verdict.answer(Answer.empty(HttpResponseStatus.NO_CONTENT));
        })));

        channel.writeInbound(request(HttpMethod.GET, "/api/users", "Connection", "keep-alive, X-Secret",
                "X-Secret", "s", "Keep-Alive", "timeout=5", "TE", "trailers", "Proxy-Authorization", "Basic x",
                "X-Request-Id", "client-chosen", "Accept", "*/*"), LastHttpContent.EMPTY_LAST_CONTENT);
        readResponse(channel).release();

        HttpHeaders headers = seen.get(0);
        for (String name : new String[] {"Connection", "X-Secret", "Keep-Alive", "TE", "Proxy-Authorization"}) {
            assertThat(headers.contains(name)).as(name).isFalse();
        }
        assertThat(headers.get("Accept")).isEqualTo("*/*");
        assertThat(headers.getAll(RequestIds.HEADER)).containsExactly(Exchange.of(channel).requestId());
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void judgesTheKeyAfterTheHopByHopHeadersAreGoneSoAConnectionHeaderCanNotSmuggleOne() {
        channel.writeInbound(keyed(HttpMethod.GET, "/api/users", "Connection", "X-API-Key"),
                LastHttpContent.EMPTY_LAST_CONTENT);

        assertAnswered(HttpResponseStatus.UNAUTHORIZED, "{\"error\":\"Missing X-API-Key header\"}", false);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void givesTheForwardedRequestAFreshUuidOverwritingTheClientsOne() {
        HttpRequest request = keyed(HttpMethod.POST, "/api/users", "X-Request-Id", "client-chosen",
                "Content-Length", "2");
        LastHttpContent body = last("ab");

        channel.writeInbound(request, body);

        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(body);
        body.release();
        String id = request.headers().get(RequestIds.HEADER);
        assertThat(request.headers().getAll(RequestIds.HEADER)).hasSize(1);
        assertThat(id).isNotEqualTo("client-chosen").isEqualTo(Exchange.of(channel).requestId());
        UUID uuid = UUID.fromString(id);
        assertThat(uuid.version()).isEqualTo(4);
        assertThat(uuid.variant()).isEqualTo(2);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void givesEachRequestADifferentId() {
        HttpRequest first = keyed(HttpMethod.GET, "/api/users/1");
        HttpRequest second = keyed(HttpMethod.GET, "/api/users/2");

        channel.writeInbound(first, LastHttpContent.EMPTY_LAST_CONTENT, second, LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(recorder.forwarded).hasSize(2);
        assertThat(first.headers().get(RequestIds.HEADER)).isNotNull()
                .isNotEqualTo(second.headers().get(RequestIds.HEADER));
        drainInbound();
        assertThat(channel.finish()).isFalse();
    }

    // Streaming body checks

    @Test
    void answers413WithACloseAndAbandonsTheBackendRequestWhenAStreamingBodyGrowsPastTheLimit() {
        channel = open(SMALL_BODIES);
        HttpRequest request = request(HttpMethod.POST, "/upload", "Transfer-Encoding", "chunked");
        HttpContent within = content("abc");
        HttpContent over = content("de");
        LastHttpContent end = last("f");

        channel.writeInbound(request, within, over, end);

        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(within);
        within.release();
        assertAnswered(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "{\"error\":\"Request body too large\"}", true);
        assertThat(recorder.abandoned).isEqualTo(1);
        assertThat(over.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
        assertThat(Exchange.of(channel).failure()).isEqualTo("body grew past the route's limit");
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void passesABodyOfExactlyTheLimitOn() {
        channel = open(SMALL_BODIES);
        HttpRequest request = request(HttpMethod.POST, "/upload", "Transfer-Encoding", "chunked");
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request, body, end);

        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(body);
        assertThat((Object) channel.readInbound()).isSameAs(end);
        body.release();
        end.release();
        assertThat(recorder.abandoned).isZero();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void closesWithoutAnAnswerWhenTheResponseHadBegunBeforeTheBodyGrewPastTheLimit() {
        channel = open(SMALL_BODIES);
        channel.writeInbound(request(HttpMethod.POST, "/upload", "Transfer-Encoding", "chunked"));
        drainInbound();
        Exchange.of(channel).status(200);
        HttpContent over = content("abcde");

        channel.writeInbound(over);

        assertThat(over.refCnt()).isZero();
        assertThat(recorder.abandoned).isEqualTo(1);
        assertThat((Object) channel.readInbound()).isNull();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answers400WithACloseAndAbandonsTheBackendRequestForAMalformedBodyPiece() {
        HttpRequest request = request(HttpMethod.POST, "/open/x", "Transfer-Encoding", "chunked");
        HttpContent first = content("ab");
        LastHttpContent broken = new DefaultLastHttpContent(Unpooled.copiedBuffer("zz", StandardCharsets.US_ASCII));
        broken.setDecoderResult(DecoderResult.failure(new NumberFormatException("bad chunk size")));

        channel.writeInbound(request, first, broken);

        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(first);
        first.release();
        assertAnswered(HttpResponseStatus.BAD_REQUEST, "{\"error\":\"Malformed request body\"}", true);
        assertThat(broken.refCnt()).isZero();
        assertThat(recorder.abandoned).isEqualTo(1);
        assertThat(Exchange.of(channel).failure()).isEqualTo("malformed request body");
        assertThat(channel.finish()).isFalse();
    }

    /**
     * A bad chunk makes the decoder end the body with a failed last content: that must not look like an end. The
     * backend request is abandoned and the client, not answered yet, gets 400 with {@code Connection: close}.
     */
    @Test
    void answers400InsteadOfPassingOnTheEndOfAChunkedBodyTheRealDecoderFoundMalformed() {
        channel = new EmbeddedChannel(new HttpServerCodec(), new ExchangeStarter(CONFIG),
                new ExchangeHandler(recorder));

        channel.writeInbound(ascii("POST /open/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "2\r\nab\r\nzz\r\n"));

        assertThat((Object) channel.readInbound()).isInstanceOf(HttpRequest.class);
        HttpContent first = channel.readInbound();
        assertThat(first.content().toString(StandardCharsets.US_ASCII)).isEqualTo("ab");
        assertThat(first).isNotInstanceOf(LastHttpContent.class);
        first.release();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(recorder.abandoned).isEqualTo(1);
        assertThat(readAscii(channel)).startsWith("HTTP/1.1 400 Bad Request\r\n")
                .containsIgnoringCase("connection: close")
                .endsWith("{\"error\":\"Malformed request body\"}");
        assertThat(Exchange.of(channel).failure()).isEqualTo("malformed request body");
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void closesWithoutAnAnswerWhenTheResponseHadBegunBeforeTheBodyTurnedOutMalformed() {
        channel = new EmbeddedChannel(new HttpServerCodec(), new ExchangeStarter(CONFIG),
                new ExchangeHandler(recorder));
        channel.writeInbound(ascii("POST /open/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"));
        assertThat((Object) channel.readInbound()).isInstanceOf(HttpRequest.class);
        Exchange.of(channel).status(200);

        channel.writeInbound(ascii("2\r\nab\r\nzz\r\n"));

        HttpContent first = channel.readInbound();
        first.release();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(recorder.abandoned).isEqualTo(1);
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    // Suspended verdicts

    @Test
    void holdsASuspendedRequestAndItsBodyThenReplaysThemInOrderOnTheEventLoop() {
        FakeLimiter limiter = new FakeLimiter();
        CompletableFuture<RateLimitDecision> later = limiter.willAnswer(new CompletableFuture<>());
        channel = open(config(YAML, limiter));
        HttpRequest request = keyed(HttpMethod.POST, "/api/users", "Content-Length", "4");
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(request, body, end);
        channel.runPendingTasks();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(recorder.forwarded).isEmpty();

        channel.eventLoop().execute(() -> later.complete(ALLOWED));
        assertThat((Object) channel.readInbound()).as("nothing before the event loop runs").isNull();
        channel.runPendingTasks();

        assertThat(limiter.calls).containsExactly(CLIENT + "/100");
        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(body);
        assertThat((Object) channel.readInbound()).isSameAs(end);
        assertThat(body.refCnt()).isEqualTo(1);
        assertThat(end.refCnt()).isEqualTo(1);
        body.release();
        end.release();
        assertThat(Exchange.of(channel).rateLimit().applied().get(0).decision()).isEqualTo(ALLOWED);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void forwardsASuspendedBodylessRequestCompleteOnceTheVerdictComes() {
        FakeLimiter limiter = new FakeLimiter();
        CompletableFuture<RateLimitDecision> later = limiter.willAnswer(new CompletableFuture<>());
        channel = open(config(YAML, limiter));
        HttpRequest request = keyed(HttpMethod.GET, "/api/users");

        channel.writeInbound(request, LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(recorder.forwarded).isEmpty();
        later.complete(ALLOWED);
        channel.runPendingTasks();

        assertThat(recorder.forwarded).containsExactly("complete /api/users");
        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answers429WithTheRateLimitHeadersAndReleasesEverythingHeldWhenALaterDecisionSaysNo() {
        FakeLimiter limiter = new FakeLimiter();
        CompletableFuture<RateLimitDecision> later = limiter.willAnswer(new CompletableFuture<>());
        channel = openWithFinisher(config(YAML, limiter));
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(keyed(HttpMethod.POST, "/api/users", "Content-Length", "4"), body, end);
        channel.eventLoop().execute(() -> later.complete(RateLimitDecision.reject(100, 3_000, 30_000)));
        channel.runPendingTasks();

        FullHttpResponse response = readResponse(channel);
        try {
            assertThat(response.status()).isEqualTo(HttpResponseStatus.TOO_MANY_REQUESTS);
            assertThat(body(response)).isEqualTo("{\"type\":\"https://iana.org/assignments/http-problem-types#quota-exceeded\",\"title\":\"Rate limit exceeded\",\"status\":429,\"violated-policies\":[\"default\"],\"error\":\"Rate limit exceeded\"}");
            assertThat(response.headers().getAll(HttpHeaderNames.CONTENT_TYPE))
                    .containsExactly("application/problem+json");
            assertThat(response.headers().get(HttpHeaderNames.RETRY_AFTER)).isEqualTo("3");
            assertThat(response.headers().get(ResponseFinisher.X_RATELIMIT_LIMIT)).isEqualTo("100");
            assertThat(response.headers().get(ResponseFinisher.X_RATELIMIT_REMAINING)).isEqualTo("0");
        } finally {
            response.release();
        }
        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(recorder.forwarded).isEmpty();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answers503AndReleasesTheBodyWhenALaterDecisionFails() {
        FakeLimiter limiter = new FakeLimiter();
        CompletableFuture<RateLimitDecision> later = limiter.willAnswer(new CompletableFuture<>());
        channel = open(config(YAML, limiter));
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(keyed(HttpMethod.POST, "/api/users", "Content-Length", "4"), body, end);
        channel.eventLoop().execute(() ->
                later.completeExceptionally(new RateLimiterUnavailableException("store down")));
        channel.runPendingTasks();

        assertAnswered(HttpResponseStatus.SERVICE_UNAVAILABLE, "{\"error\":\"Rate limiter unavailable\"}", false);
        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
        assertThat(Exchange.of(channel).failure()).isEqualTo("rate limiter unavailable");
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void answers503WhenTheLimiterFailsAtOnce() {
        FakeLimiter limiter = new FakeLimiter();
        limiter.willAnswer(CompletableFuture.failedFuture(new IllegalStateException("store down")));
        channel = open(config(YAML, limiter));
        LastHttpContent end = last("cd");

        channel.writeInbound(keyed(HttpMethod.POST, "/api/users", "Content-Length", "2"), end);
        channel.runPendingTasks();

        assertAnswered(HttpResponseStatus.SERVICE_UNAVAILABLE, "{\"error\":\"Rate limiter unavailable\"}", false);
        assertThat(end.refCnt()).isZero();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void tellsTheForwarderWhenTheClientConnectionsWritabilityChanges() {
        channel = open(config());

        channel.pipeline().fireChannelWritabilityChanged();

        assertThat(recorder.writabilityChanges).isEqualTo(1);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void releasesEverythingHeldWhenTheConnectionClosesBeforeTheDecision() {
        FakeLimiter limiter = new FakeLimiter();
        CompletableFuture<RateLimitDecision> later = limiter.willAnswer(new CompletableFuture<>());
        channel = open(config(YAML, limiter));
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");

        channel.writeInbound(keyed(HttpMethod.POST, "/api/users", "Content-Length", "4"), body, end);
        assertThat(channel.finish()).isFalse();

        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
        assertThat(recorder.clientClosed).isEqualTo(1);
        later.complete(ALLOWED);
        channel.runPendingTasks();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(recorder.forwarded).isEmpty();
    }

    @Test
    void neitherAsksTheLimiterNorAddsRateLimitHeadersOnAnOpenRoute() {
        FakeLimiter limiter = new FakeLimiter();
        channel = openWithFinisher(config(YAML, limiter));
        HttpRequest request = request(HttpMethod.GET, "/open/1");

        channel.writeInbound(request, LastHttpContent.EMPTY_LAST_CONTENT);
        io.netty.handler.codec.http.HttpResponse head = new io.netty.handler.codec.http.DefaultHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        channel.writeOutbound(head);

        assertThat(limiter.calls).isEmpty();
        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat((Object) channel.readOutbound()).isSameAs(head);
        assertThat(head.headers().contains(ResponseFinisher.X_RATELIMIT_LIMIT)).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void forwardsTheNextRequestAfterA429() {
        FakeLimiter limiter = new FakeLimiter();
        limiter.willAnswer(CompletableFuture.completedFuture(RateLimitDecision.reject(100, 1_000, 1_000)));
        limiter.willAnswer(CompletableFuture.completedFuture(ALLOWED));
        channel = open(config(YAML, limiter));
        channel.writeInbound(keyed(HttpMethod.POST, "/api/users", "Content-Length", "2"), last("ab"));
        assertAnswered(HttpResponseStatus.TOO_MANY_REQUESTS, "{\"type\":\"https://iana.org/assignments/http-problem-types#quota-exceeded\",\"title\":\"Rate limit exceeded\",\"status\":429,\"violated-policies\":[\"default\"],\"error\":\"Rate limit exceeded\"}", false);

        HttpRequest next = keyed(HttpMethod.POST, "/api/users", "Content-Length", "2");
        LastHttpContent nextBody = last("cd");
        channel.writeInbound(next, nextBody);

        assertThat((Object) channel.readInbound()).isSameAs(next);
        assertThat((Object) channel.readInbound()).isSameAs(nextBody);
        nextBody.release();
        assertThat(channel.finish()).isFalse();
    }

    // A confused connection

    @Test
    void closesTheConnectionWhenARequestHeadArrivesWhileTheLastRequestIsStillForwarded() {
        channel.writeInbound(keyed(HttpMethod.GET, "/api/users"), LastHttpContent.EMPTY_LAST_CONTENT);
        drainInbound();
        recorder.busy = true;
        FullHttpRequest pipelined = fullRequest(HttpMethod.POST, "/open/x", "body");

        channel.writeInbound(pipelined);

        assertThat(pipelined.refCnt()).isZero();
        assertThat(channel.isOpen()).isFalse();
        assertThat(recorder.forwarded).hasSize(1);
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void closesTheConnectionWhenARequestHeadArrivesBeforeTheEndOfABodylessOne() {
        channel.writeInbound(keyed(HttpMethod.GET, "/api/users"));
        FullHttpRequest pipelined = fullRequest(HttpMethod.GET, "/open/x", "");

        channel.writeInbound(pipelined);

        assertThat(pipelined.refCnt()).isZero();
        assertThat(channel.isOpen()).isFalse();
        assertThat(recorder.forwarded).isEmpty();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void closesTheClientConnectionOnAnException() {
        channel.pipeline().fireExceptionCaught(new IOException("connection reset by peer"));

        assertThat(channel.isOpen()).isFalse();
        assertThat(recorder.clientClosed).isEqualTo(1);
        assertThat(channel.finish()).isFalse();
    }

    // Helpers

    private EmbeddedChannel open(RuntimeConfig config) {
        return new EmbeddedChannel(new ExchangeStarter(config), new ExchangeHandler(recorder));
    }

    private EmbeddedChannel openWithFinisher(RuntimeConfig config) {
        ChannelHandler finisher = new ResponseFinisher(() -> config);
        return new EmbeddedChannel(new ExchangeStarter(config), finisher, new ExchangeHandler(recorder));
    }

    /** The fixture's snapshot with {@code first} in front of its entry chain. */
    private static RuntimeConfig withEntry(Filter first) {
        List<Filter> entry = new ArrayList<>();
        entry.add(first);
        for (int i = 0; i < CONFIG.entry().size(); i++) {
            entry.add(CONFIG.entry().get(i));
        }
        return RuntimeConfig.compile(CONFIG.config(), CONFIG.apiKeys(), FilterChain.of(entry),
                route -> CONFIG.chain(CONFIG.routes().match(route.prefix())));
    }

    private static Filter filter(String name, Function<Exchange, Verdict> apply) {
        return new Filter() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Verdict apply(Exchange exchange) {
                return apply.apply(exchange);
            }
        };
    }

    private void assertAnswered(HttpResponseStatus status, String json, boolean close) {
        FullHttpResponse response = readResponse(channel);
        try {
            assertThat(response.status()).isEqualTo(status);
            assertThat(body(response)).isEqualTo(json);
            assertThat(response.headers().getAll(HttpHeaderNames.CONTENT_TYPE)).containsExactly(
                    status == HttpResponseStatus.TOO_MANY_REQUESTS ? "application/problem+json" : "application/json");
            assertThat(response.headers().getInt(HttpHeaderNames.CONTENT_LENGTH))
                    .isEqualTo(json.getBytes(StandardCharsets.UTF_8).length);
            assertThat(response.headers().contains(HttpHeaderNames.CONNECTION, "close", true)).isEqualTo(close);
        } finally {
            response.release();
        }
        assertThat((Object) channel.readInbound()).isNull();
        assertThat((Object) channel.readOutbound()).isNull();
    }

    private static HttpRequest keyed(HttpMethod method, String uri, String... headers) {
        HttpRequest request = request(method, uri, headers);
        request.headers().set("X-API-Key", KEY);
        return request;
    }

    private static FullHttpRequest fullRequest(HttpMethod method, String uri, String body) {
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        request.headers().set(HttpHeaderNames.HOST, "gateway.test");
        if (!body.isEmpty()) {
            request.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length());
        }
        return request;
    }

    private void drainInbound() {
        Object msg;
        while ((msg = channel.readInbound()) != null) {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    private static ByteBuf ascii(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    /** Everything written to the wire so far, as text; the buffers are released. */
    private static String readAscii(EmbeddedChannel channel) {
        StringBuilder text = new StringBuilder();
        ByteBuf out;
        while ((out = channel.readOutbound()) != null) {
            text.append(out.toString(StandardCharsets.US_ASCII));
            out.release();
        }
        return text.toString();
    }

    /**
     * The fixture's pass-on forwarder, recording what it was asked to do, and busy when told so: forwarded
     * messages reach {@code readInbound()}.
     */
    private static final class Recorder implements Function<ChannelHandlerContext, Forwarder> {
        final List<String> forwarded = new ArrayList<>();
        int abandoned;
        int writabilityChanges;
        int clientClosed;
        boolean busy;

        @Override
        public Forwarder apply(ChannelHandlerContext ctx) {
            Forwarder passOn = HttpFixtures.PASS_ON.apply(ctx);
            return new Forwarder() {
                @Override
                public boolean busy() {
                    return busy;
                }

                @Override
                public void forward(Exchange exchange, HttpRequest request, boolean complete) {
                    forwarded.add((complete ? "complete " : "streaming ") + request.uri());
                    passOn.forward(exchange, request, complete);
                }

                @Override
                public void content(HttpContent content) {
                    passOn.content(content);
                }

                @Override
                public void abandon() {
                    abandoned++;
                }

                @Override
                public void clientWritabilityChanged() {
                    writabilityChanges++;
                }

                @Override
                public void clientClosed() {
                    clientClosed++;
                }
            };
        }
    }

    /** A shared-store stand-in: never decides at once, answers each call with the next future it was given. */
    private static final class FakeLimiter implements RateLimiter {
        final List<String> calls = new ArrayList<>();
        private final Queue<CompletableFuture<RateLimitDecision>> answers = new ArrayDeque<>();

        CompletableFuture<RateLimitDecision> willAnswer(CompletableFuture<RateLimitDecision> answer) {
            answers.add(answer);
            return answer;
        }

        @Override
        public CompletionStage<RateLimitResult> acquire(String key, List<RateLimitPolicyConfig> policies) {
            calls.add(key + "/" + policies.get(0).limit());
            CompletableFuture<RateLimitDecision> next = answers.poll();
            if (next == null) {
                throw new AssertionError("no decision prepared for " + key);
            }
            return next.thenApply(d -> RateLimitResult.of(policies.get(0), d));
        }
    }
}
