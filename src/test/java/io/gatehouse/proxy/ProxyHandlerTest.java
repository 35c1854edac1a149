package io.gatehouse.proxy;

import static io.gatehouse.testing.HttpFixtures.content;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import org.junit.jupiter.api.Test;

import java.io.IOException;

class ProxyHandlerTest {

    private final EmbeddedChannel channel = new EmbeddedChannel(new ProxyHandler(null));

    @Test
    void closesTheClientConnectionOnAnException() {
        channel.pipeline().fireExceptionCaught(new IOException("connection reset by peer"));

        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void releasesBodyContentThatBelongsToNoCall() {
        HttpContent stray = content("ab");

        channel.writeInbound(stray);

        assertThat(stray.refCnt()).isZero();
        assertThat(channel.finish()).isFalse();
    }
}
