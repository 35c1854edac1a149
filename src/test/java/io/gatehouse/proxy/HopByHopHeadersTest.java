package io.gatehouse.proxy;

import io.gatehouse.server.ExchangeHandler;
import io.gatehouse.testing.HttpFixtures;

import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.Test;

class HopByHopHeadersTest {

    @Test
    void removesEveryHopByHopHeaderOfTheRule() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("Connection", "keep-alive")
                .add("Keep-Alive", "timeout=5")
                .add("TE", "trailers")
                .add("Trailer", "X-Checksum")
                .add("Upgrade", "websocket")
                .add("Proxy-Authorization", "Basic c2VjcmV0")
                .add("Proxy-Connection", "keep-alive")
                .add("Accept", "application/json");

        HopByHopHeaders.strip(headers);

        assertThat(headers.names()).containsExactly("Accept");
    }

    @Test
    void removesEveryHeaderNamedInConnectionWhateverItsCaseAndSpacing() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("Connection", "close,  x-debug ,X-Trace")
                .add("Connection", "X-Other")
                .add("X-Debug", "1")
                .add("x-trace", "2")
                .add("X-Other", "3")
                .add("X-Kept", "4");

        HopByHopHeaders.strip(headers);

        assertThat(headers.names()).containsExactly("X-Kept");
    }

    @Test
    void neverLetsConnectionRemoveFramingHeadersOrHost() {
        HttpHeaders headers = new DefaultHttpHeaders()
                .add("Connection", "Content-Length, Transfer-Encoding, Host")
                .add("Content-Length", "4")
                .add("Transfer-Encoding", "chunked")
                .add("Host", "gateway.test");

        HopByHopHeaders.strip(headers);

        assertThat(headers.get("Content-Length")).isEqualTo("4");
        assertThat(headers.get("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(headers.get("Host")).isEqualTo("gateway.test");
        assertThat(headers.contains("Connection")).isFalse();
    }

    @Test
    void leavesAMessageWithoutHopByHopHeadersAlone() {
        HttpHeaders headers = new DefaultHttpHeaders().add("Accept", "*/*").add("Set-Cookie", "a=1")
                .add("Set-Cookie", "b=2");

        HopByHopHeaders.strip(headers);

        assertThat(headers.getAll("Set-Cookie")).containsExactly("a=1", "b=2");
        assertThat(headers.size()).isEqualTo(3);
    }

    @Test
    void theExchangeHandlerStripsTheRequestHeadBeforeAddingItsOwnHeaders() {
        EmbeddedChannel channel = new EmbeddedChannel(new HttpFixtures.ExchangeStarter(HttpFixtures.config()),
                new ExchangeHandler(HttpFixtures.PASS_ON));
        HttpRequest request = request(HttpMethod.GET, "/open", "Connection", "X-Debug, X-Request-Id", "X-Debug", "1",
                "Keep-Alive", "timeout=5");

        channel.writeInbound(request, LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat((Object) channel.readInbound()).isSameAs(request);
        assertThat((Object) channel.readInbound()).isSameAs(LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(request.headers().names()).containsExactlyInAnyOrder("host", "X-Request-Id", "traceparent");
        assertThat(channel.finish()).isFalse();
    }
}
