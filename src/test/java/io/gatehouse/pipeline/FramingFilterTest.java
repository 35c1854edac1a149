package io.gatehouse.pipeline;

import static io.gatehouse.testing.HttpFixtures.config;
import static io.gatehouse.testing.HttpFixtures.exchange;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.exchange.Verdict;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

class FramingFilterTest {

    private static final RuntimeConfig CONFIG = config();
    private static final RuntimeConfig FEW_HEADERS = config("""
            server:
              max_headers: 3
            routes:
              - prefix: /api
                upstream: http://localhost:4001
            """);

    @Test
    void letsAWellFramedRequestProceedUnchanged() {
        HttpRequest request = request(HttpMethod.POST, "/api/users", "Content-Length", "4");

        assertProceeds(request);
        assertThat(request.headers().getInt(HttpHeaderNames.CONTENT_LENGTH)).isEqualTo(4);
        assertThat(request.headers().get(HttpHeaderNames.HOST)).isEqualTo("gateway.test");
    }

    @Test
    void letsAChunkedRequestProceedWhateverTheCaseOfChunked() {
        assertProceeds(request(HttpMethod.POST, "/api/users", "Transfer-Encoding", "Chunked"));
    }

    @Test
    void letsAnHttp10RequestWithoutHostProceed() {
        HttpRequest request = request(HttpVersion.HTTP_1_0, HttpMethod.GET, "/api/users");
        request.headers().remove(HttpHeaderNames.HOST);

        assertProceeds(request);
    }

    @Test
    void rejectsContentLengthWithTransferEncoding() {
        assertRejected(request(HttpMethod.POST, "/api/users", "Content-Length", "4", "Transfer-Encoding", "chunked"),
                HttpResponseStatus.BAD_REQUEST, "Both Content-Length and Transfer-Encoding");
    }

    @Test
    void rejectsATransferEncodingOtherThanChunked() {
        assertRejected(request(HttpMethod.POST, "/api/users", "Transfer-Encoding", "gzip, chunked"),
                HttpResponseStatus.NOT_IMPLEMENTED, "Unsupported Transfer-Encoding");
    }

    @Test
    void rejectsAnUnknownTransferEncoding() {
        assertRejected(request(HttpMethod.POST, "/api/users", "Transfer-Encoding", "identity"),
                HttpResponseStatus.NOT_IMPLEMENTED, "Unsupported Transfer-Encoding");
    }

    @Test
    void rejectsTwoTransferEncodingHeaders() {
        assertRejected(request(HttpMethod.POST, "/api/users", "Transfer-Encoding", "chunked",
                "Transfer-Encoding", "chunked"), HttpResponseStatus.NOT_IMPLEMENTED, "Unsupported Transfer-Encoding");
    }

    @Test
    void rejectsTransferEncodingInAnHttp10Request() {
        assertRejected(request(HttpVersion.HTTP_1_0, HttpMethod.POST, "/api/users", "Transfer-Encoding", "chunked"),
                HttpResponseStatus.BAD_REQUEST, "Transfer-Encoding in an HTTP/1.0 request");
    }

    @Test
    void rejectsTwoContentLengths() {
        assertRejected(request(HttpMethod.POST, "/api/users", "Content-Length", "4", "Content-Length", "4"),
                HttpResponseStatus.BAD_REQUEST, "Invalid Content-Length");
    }

    @Test
    void rejectsAContentLengthThatIsNotDigits() {
        for (String length : new String[] {"4, 4", "+4", "-1", "0x4", "", "1234567890123456789"}) {
            assertRejected(request(HttpMethod.POST, "/api/users", "Content-Length", length),
                    HttpResponseStatus.BAD_REQUEST, "Invalid Content-Length");
        }
    }

    @Test
    void acceptsTheLongestContentLengthItAllows() {
        assertProceeds(request(HttpMethod.POST, "/api/users", "Content-Length", "123456789012345678"));
    }

    @Test
    void rejectsAMissingHost() {
        HttpRequest request = request(HttpMethod.GET, "/api/users");
        request.headers().remove(HttpHeaderNames.HOST);

        assertRejected(request, HttpResponseStatus.BAD_REQUEST, "Missing or repeated Host header");
    }

    @Test
    void rejectsTwoHosts() {
        assertRejected(request(HttpMethod.GET, "/api/users", "Host", "other.test"),
                HttpResponseStatus.BAD_REQUEST, "Missing or repeated Host header");
    }

    @Test
    void rejectsAnInvalidHost() {
        for (String host : new String[] {"user@gateway.test", "a.test/path", "a.test, b.test", ""}) {
            HttpRequest request = request(HttpMethod.GET, "/api/users");
            request.headers().set(HttpHeaderNames.HOST, host);

            assertRejected(request, HttpResponseStatus.BAD_REQUEST, "Invalid Host header");
        }
    }

    @Test
    void acceptsAHostWithAPortAndABracketedIpv6Literal() {
        for (String host : new String[] {"gateway.test:8080", "[::1]:3000", "10.0.0.1"}) {
            HttpRequest request = request(HttpMethod.GET, "/api/users");
            request.headers().set(HttpHeaderNames.HOST, host);

            assertProceeds(request);
        }
    }

    @Test
    void rejectsConnect() {
        assertRejected(request(HttpMethod.CONNECT, "gateway.test:443"),
                HttpResponseStatus.METHOD_NOT_ALLOWED, "CONNECT is not supported");
    }

    @Test
    void rejectsAnHttpVersionOtherThan1x() {
        assertRejected(request(new HttpVersion("HTTP", 1, 2, true), HttpMethod.GET, "/api/users"),
                HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP version not supported");
        assertRejected(request(new HttpVersion("HTTP", 2, 0, true), HttpMethod.GET, "/api/users"),
                HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP version not supported");
    }

    @Test
    void rejectsAnUpgradeToH2cEvenOnceTheUpgradeHeaderIsGone() {
        HttpRequest request = request(HttpMethod.GET, "/api/users", "Upgrade", "h2c", "Connection", "Upgrade");
        Exchange exchange = exchange(CONFIG, request);
        request.headers().remove(HttpHeaderNames.UPGRADE).remove(HttpHeaderNames.CONNECTION);

        assertRejected(exchange, HttpResponseStatus.BAD_REQUEST, "Upgrade to h2c is not supported");
    }

    @Test
    void rejectsMoreHeaderLinesThanTheServerAllows() {
        assertProceeds(FEW_HEADERS, request(HttpMethod.GET, "/api", "A", "1", "B", "2"));
        assertRejected(exchange(FEW_HEADERS, request(HttpMethod.GET, "/api", "A", "1", "B", "2", "C", "3")),
                HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many request headers");
    }

    @Test
    void rejectsAnUnderscoreInAHeaderName() {
        assertRejected(request(HttpMethod.GET, "/api/users", "X_API_Key", "key"),
                HttpResponseStatus.BAD_REQUEST, "Underscore in a header name");
    }

    @Test
    void answers414WhenTheRequestLineWasTooLong() {
        assertRejectedAsDecoderFailure(new TooLongHttpLineException("too long"),
                HttpResponseStatus.REQUEST_URI_TOO_LONG, "Request line too long");
    }

    @Test
    void answers431WhenTheHeadersWereTooLarge() {
        assertRejectedAsDecoderFailure(new TooLongHttpHeaderException("too large"),
                HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Request headers too large");
    }

    @Test
    void answers400ForAnyOtherTooLongFrame() {
        assertRejectedAsDecoderFailure(new TooLongFrameException("too long"),
                HttpResponseStatus.BAD_REQUEST, "Request too large");
    }

    @Test
    void answers400ForAMalformedRequest() {
        assertRejectedAsDecoderFailure(new IllegalArgumentException("bad"),
                HttpResponseStatus.BAD_REQUEST, "Malformed request");
    }

    @Test
    void answers400ForTheInvalidFullRequestTheDecoderMakes() {
        DefaultFullHttpRequest invalid = new DefaultFullHttpRequest(HttpVersion.HTTP_1_0, HttpMethod.GET,
                "/bad-request", Unpooled.copiedBuffer("x", StandardCharsets.UTF_8));
        invalid.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("invalid version")));
        try {
            assertRejected(invalid, HttpResponseStatus.BAD_REQUEST, "Malformed request");
        } finally {
            invalid.release();
        }
    }

    @Test
    void givesTheReasonForTheAccessLogOnEveryRejection() {
        Verdict verdict = FramingFilter.INSTANCE.apply(exchange(CONFIG, request(HttpMethod.CONNECT, "a:443")));

        assertThat(verdict.answer().failure()).isEqualTo("rejected: CONNECT is not supported");
    }

    private static void assertRejectedAsDecoderFailure(Throwable cause, HttpResponseStatus status, String message) {
        HttpRequest request = request(HttpMethod.GET, "/api/users");
        request.setDecoderResult(DecoderResult.failure(cause));
        assertRejected(request, status, message);
    }

    private static void assertProceeds(HttpRequest request) {
        assertProceeds(CONFIG, request);
    }

    private static void assertProceeds(RuntimeConfig config, HttpRequest request) {
        Verdict verdict = FramingFilter.INSTANCE.apply(exchange(config, request));

        assertThat(verdict.proceeds()).as("%s", verdict).isTrue();
    }

    private static void assertRejected(HttpRequest request, HttpResponseStatus status, String message) {
        assertRejected(exchange(CONFIG, request), status, message);
    }

    /** Refused with a close: a request the filter could not read safely never shares a connection. */
    private static void assertRejected(Exchange exchange, HttpResponseStatus status, String message) {
        Verdict verdict = FramingFilter.INSTANCE.apply(exchange);

        Answer answer = verdict.answer();
        assertThat(answer).as("%s", verdict).isNotNull();
        assertThat(answer.status()).isEqualTo(status);
        assertThat(answer.json()).isEqualTo("{\"error\":\"" + message + "\"}");
        assertThat(answer.close()).isTrue();
        assertThat(answer.failure()).isEqualTo("rejected: " + message);
        assertThat(exchange.route()).isNull();
    }
}
