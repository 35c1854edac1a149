package io.gatehouse.pipeline;

import static io.gatehouse.testing.HttpFixtures.CLIENT;
import static io.gatehouse.testing.HttpFixtures.KEY;
import static io.gatehouse.testing.HttpFixtures.config;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.testing.HttpFixtures.ExchangeStarter;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

class AccessLogHandlerTest {

    private final List<String> lines = new ArrayList<>();
    private final EmbeddedChannel channel = new EmbeddedChannel(new ExchangeStarter(config()),
            new RequestIdHandler(), new AccessLogHandler(() -> true, lines::add), new RoutingHandler(), new ApiKeyAuthHandler());

    @Test
    void logsOneLineWhenTheLastContentOfAStreamedResponseIsWritten() {
        channel.writeInbound(request(HttpMethod.GET, "/api/users/42?secret=1", "X-API-Key", KEY),
                LastHttpContent.EMPTY_LAST_CONTENT);
        drainInbound();
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CREATED);

        channel.writeOutbound(head);
        assertThat(messages()).isEmpty();
        channel.writeOutbound(LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(messages()).singleElement().satisfies(line -> assertThat(line)
                .startsWith("GET /api/users/42 -> 201 (")
                .contains("[" + CLIENT + "]")
                .contains("request_id=" + Exchange.of(channel).requestId())
                .doesNotContain("secret")
                .doesNotContain(KEY));
        drainOutbound();
        channel.close();
        assertThat(messages()).hasSize(1);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void logsTheGatewaysOwnRejectionOnceWithoutTheKey() {
        channel.writeInbound(request(HttpMethod.GET, "/api/users", "X-API-Key", "key_live_guess"),
                LastHttpContent.EMPTY_LAST_CONTENT);

        assertThat(messages()).singleElement().satisfies(line -> assertThat(line)
                .startsWith("GET /api/users -> 403 (")
                .contains("[anonymous]")
                .doesNotContain("key_live_guess"));
        drainOutbound();
        assertThat(channel.finish()).isFalse();
        assertThat(messages()).hasSize(1);
    }

    @Test
    void buildsNoLineWhenTheAccessLogIsOff() {
        List<String> offLines = new ArrayList<>();
        EmbeddedChannel off = new EmbeddedChannel(new ExchangeStarter(config()), new RequestIdHandler(),
                new AccessLogHandler(() -> false, offLines::add), new RoutingHandler(), new ApiKeyAuthHandler());
        off.writeInbound(request(HttpMethod.GET, "/api/users", "X-API-Key", "key_live_guess"),
                LastHttpContent.EMPTY_LAST_CONTENT);

        Object response = off.readOutbound();
        assertThat(response).as("the 403 is still answered").isInstanceOf(FullHttpResponse.class);
        io.netty.util.ReferenceCountUtil.release(response);
        off.close();
        assertThat(offLines).isEmpty();
        assertThat(off.finish()).isFalse();
    }

    @Test
    void doesNotLogOnAnInterimResponse() {
        channel.writeInbound(request(HttpMethod.POST, "/api/users", "X-API-Key", KEY, "Expect", "100-continue",
                "Content-Length", "2"));
        drainInbound();

        channel.writeOutbound(GatewayResponses.empty(ByteBufAllocator.DEFAULT, HttpResponseStatus.CONTINUE));

        assertThat(messages()).isEmpty();
        drainOutbound();
        channel.close();
        assertThat(messages()).singleElement().satisfies(line -> assertThat(line)
                .startsWith("POST /api/users -> - (")
                .contains("error=\"connection closed before the response was complete\""));
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void logsAnUnroutableTargetPrintablyAndWithoutItsQuery() {
        assertThat(AccessLogHandler.printable("/a b\"c?token=secret")).isEqualTo("/a?b?c");
        assertThat(AccessLogHandler.printable("/" + "x".repeat(300))).hasSize(256 + 3).endsWith("...");
    }

    private List<String> messages() {
        return List.copyOf(lines);
    }

    private void drainInbound() {
        Object msg;
        while ((msg = channel.readInbound()) != null) {
            io.netty.util.ReferenceCountUtil.release(msg);
        }
    }

    private void drainOutbound() {
        Object msg;
        while ((msg = channel.readOutbound()) != null) {
            if (msg instanceof FullHttpResponse response) {
                response.release();
            }
        }
    }
}
