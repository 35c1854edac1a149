package io.gatehouse.pipeline;

import static io.gatehouse.testing.HttpFixtures.content;
import static io.gatehouse.testing.HttpFixtures.last;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import org.junit.jupiter.api.Test;

class RequestDiscarderTest {

    private final RequestDiscarder discarder = new RequestDiscarder();

    @Test
    void releasesEveryContentUpToAndIncludingTheLastThenStops() {
        discarder.start(request(HttpMethod.POST, "/"));
        HttpContent body = content("ab");
        LastHttpContent end = last("cd");
        HttpContent after = content("ef");

        assertThat(discarder.discard(body)).isTrue();
        assertThat(discarder.discard(end)).isTrue();
        assertThat(discarder.discard(after)).isFalse();

        assertThat(body.refCnt()).isZero();
        assertThat(end.refCnt()).isZero();
        assertThat(after.refCnt()).isEqualTo(1);
        after.release();
    }

    @Test
    void discardsNothingAfterAFullRequest() {
        DefaultFullHttpRequest full = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/",
                Unpooled.buffer(0));
        discarder.start(full);
        full.release();
        HttpContent next = content("ab");

        assertThat(discarder.discard(next)).isFalse();
        assertThat(next.refCnt()).isEqualTo(1);
        next.release();
    }

    @Test
    void stopsDiscardingAtTheNextRequestHead() {
        discarder.start(request(HttpMethod.POST, "/"));
        LastHttpContent nextBody = last("ab");

        assertThat(discarder.discard(request(HttpMethod.POST, "/next"))).isFalse();
        assertThat(discarder.discard(nextBody)).isFalse();

        assertThat(nextBody.refCnt()).isEqualTo(1);
        nextBody.release();
    }

    @Test
    void neverDiscardsAFullRequestThatFollows() {
        discarder.start(request(HttpMethod.POST, "/"));
        DefaultFullHttpRequest next = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/next",
                Unpooled.buffer(0));

        assertThat(discarder.discard(next)).isFalse();

        assertThat(next.refCnt()).isEqualTo(1);
        next.release();
    }
}
