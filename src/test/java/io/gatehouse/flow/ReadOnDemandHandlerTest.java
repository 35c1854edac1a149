package io.gatehouse.flow;

import static io.gatehouse.testing.HttpFixtures.content;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

class ReadOnDemandHandlerTest {

    private final ReadCounter socketReads = new ReadCounter();
    private final ReadOnDemandHandler handler = new ReadOnDemandHandler();

    @Test
    void handsOnOneMessagePerRead() {
        EmbeddedChannel channel = open(socketReads, handler);
        HttpContent first = content("1");
        HttpContent second = content("2");
        HttpContent third = content("3");

        channel.writeInbound(first, second, third);
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(handler.queued()).isEqualTo(3);

        channel.read();
        assertThat((Object) channel.readInbound()).isSameAs(first);
        assertThat((Object) channel.readInbound()).isNull();
        channel.read();
        assertThat((Object) channel.readInbound()).isSameAs(second);
        channel.read();
        assertThat((Object) channel.readInbound()).isSameAs(third);
        assertThat(socketReads.count).isZero();

        release(first, second, third);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void asksTheSocketOnlyWhenNothingIsQueuedAndHandsOnTheNextMessageAtOnce() {
        EmbeddedChannel channel = open(socketReads, handler);

        channel.read();
        assertThat(socketReads.count).isEqualTo(1);
        HttpContent first = content("1");
        HttpContent second = content("2");
        channel.writeInbound(first, second);

        assertThat((Object) channel.readInbound()).isSameAs(first);
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(handler.queued()).isEqualTo(1);
        release(first);
        assertThat(channel.finish()).as("the queued message is handed on at close").isTrue();
        assertThat((Object) channel.readInbound()).isSameAs(second);
        release(second);
    }

    @Test
    void countsRepeatedReadsBeforeAMessageAsOne() {
        EmbeddedChannel channel = open(socketReads, handler);
        channel.read();
        channel.read();
        HttpContent first = content("1");
        HttpContent second = content("2");

        channel.writeInbound(first, second);

        assertThat((Object) channel.readInbound()).isSameAs(first);
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(handler.queued()).isEqualTo(1);
        release(first);
        assertThat(channel.finish()).isTrue();
        release((Object) channel.readInbound());
    }

    /**
     * The FlowControlHandler pitfall: a write that completes at once asks for the next message from inside the
     * read loop. That request must still stand when the next socket read brings the message.
     */
    @Test
    void honoursAReadRequestedWhileAMessageIsBeingHandled() {
        ReadsAgainOnce next = new ReadsAgainOnce();
        EmbeddedChannel channel = open(socketReads, handler, next);
        channel.read();
        HttpContent first = content("1");
        HttpContent second = content("2");

        channel.writeInbound(first);
        assertThat(next.received).containsExactly(first);
        assertThat(socketReads.count).isEqualTo(2);
        channel.writeInbound(second);

        assertThat(next.received).containsExactly(first, second);
        assertThat(handler.queued()).isZero();
        release(first, second);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void honoursAReadRequestedWhileAMessageIsBeingHandledWithTheNextMessageOfTheSameSocketRead() {
        ReadsAgainOnce next = new ReadsAgainOnce();
        EmbeddedChannel channel = open(socketReads, handler, next);
        channel.read();
        HttpContent first = content("1");
        HttpContent second = content("2");
        HttpContent third = content("3");

        channel.writeInbound(first, second, third);

        assertThat(next.received).containsExactly(first, second);
        assertThat(handler.queued()).isEqualTo(1);
        assertThat(channel.finish()).isFalse();
        assertThat(next.received).containsExactly(first, second, third);
        release(first, second, third);
    }

    @Test
    void servesAReadRequestedWhileAMessageIsBeingHandledFromTheQueue() {
        ReadsAgainOnce next = new ReadsAgainOnce();
        EmbeddedChannel channel = open(socketReads, handler, next);
        HttpContent first = content("1");
        HttpContent second = content("2");
        channel.writeInbound(first, second);

        channel.read();

        assertThat(next.received).containsExactly(first, second);
        assertThat(handler.queued()).isZero();
        assertThat(socketReads.count).isZero();
        release(first, second);
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void releasesQueuedMessagesWhenRemoved() {
        EmbeddedChannel channel = open(socketReads, handler);
        HttpContent first = content("1");
        HttpContent second = content("2");
        channel.writeInbound(first, second);

        channel.pipeline().remove(handler);

        assertThat(first.refCnt()).isZero();
        assertThat(second.refCnt()).isZero();
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(channel.finish()).isFalse();
    }

    @Test
    void handsOnWhatWasQueuedBeforeTheChannelGoesInactive() {
        EventRecorder events = new EventRecorder();
        EmbeddedChannel channel = open(socketReads, handler, events);
        HttpContent first = content("1");
        HttpContent second = content("2");
        channel.writeInbound(first, second);

        channel.close();

        assertThat(events.events).containsExactly("read 1", "read 2", "inactive");
        assertThat(first.refCnt()).isZero();
        assertThat(second.refCnt()).isZero();
        assertThat(channel.finish()).isFalse();
    }

    private static EmbeddedChannel open(ChannelHandler... handlers) {
        EmbeddedChannel channel = new EmbeddedChannel(false, false, handlers);
        channel.config().setAutoRead(false);
        try {
            channel.register();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return channel;
    }

    private static void release(Object... messages) {
        for (Object msg : messages) {
            ReferenceCountUtil.release(msg);
        }
    }

    /** Placed before the handler under test: counts the reads that reach the socket. */
    private static final class ReadCounter extends ChannelOutboundHandlerAdapter {
        int count;

        @Override
        public void read(ChannelHandlerContext ctx) throws Exception {
            count++;
            super.read(ctx);
        }
    }

    /** Asks for one more message from inside its first channelRead, as a write completing at once would. */
    private static final class ReadsAgainOnce extends ChannelInboundHandlerAdapter {
        final List<Object> received = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            received.add(msg);
            if (received.size() == 1) {
                ctx.read();
            }
        }
    }

    /** Records reads and inactivity in order, releasing what it reads. */
    private static final class EventRecorder extends ChannelInboundHandlerAdapter {
        final List<String> events = new ArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            events.add("read " + ((HttpContent) msg).content().toString(java.nio.charset.StandardCharsets.UTF_8));
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            events.add("inactive");
        }
    }
}
