package io.gatehouse.proxy;

import io.gatehouse.upstream.BackendAddress;

import io.gatehouse.testing.Await;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The per-event-loop pool of idle backend connections, with {@code EmbeddedChannel}s standing in for connections.
 * The pool runs its idle sweep on the event loop of {@link #loop}; the connections are never connected for real.
 */
class BackendPoolTest {

    private static final long IDLE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final Map<Channel, String> connections = new LinkedHashMap<>();
    private BackendPool pool;
    private BackendPools pools;

    private BackendPool pool(int maxIdle, long idleTimeoutNanos) {
        pools = BackendPools.of(new Bootstrap(), maxIdle, idleTimeoutNanos);
        pool = new BackendPool(loop.eventLoop(), new BackendAddress("127.0.0.1", 8080), pools);
        return pool;
    }

    /** A connection with the pipeline a pooled backend connection has: its codec, then its handler. */
    private EmbeddedChannel connection(String name) {
        return named(name, new EmbeddedChannel(new BackendCodec(new HttpDecoderConfig()), new BackendHandler(pool)));
    }

    private EmbeddedChannel named(String name, EmbeddedChannel channel) {
        connections.put(channel, name);
        return channel;
    }

    /** The name of the connection the pool hands out next, or null when it has none. */
    private String poll() {
        Channel channel = pool.poll();
        return channel == null ? null : connections.get(channel);
    }

    @AfterEach
    void closeEverything() {
        if (pool != null) {
            pool.closeIdleOnLoop();
        }
        for (Channel channel : connections.keySet()) {
            assertFalse(((EmbeddedChannel) channel).finish());
        }
        assertFalse(loop.finish());
    }

    @Test
    void handsOutTheMostRecentlyReturnedConnectionFirst() {
        pool(8, IDLE_TIMEOUT_NANOS);
        EmbeddedChannel first = connection("first");
        EmbeddedChannel second = connection("second");
        EmbeddedChannel third = connection("third");
        pool.release(first);
        pool.release(second);
        pool.release(third);

        assertThat(poll()).isEqualTo("third");
        assertThat(poll()).isEqualTo("second");
        assertThat(poll()).isEqualTo("first");
        assertThat(poll()).isNull();
        assertThat(connections.keySet()).allMatch(Channel::isOpen);
    }

    @Test
    void aReloadedMaxIdleAppliesAtTheNextRelease() {
        pool(8, IDLE_TIMEOUT_NANOS);
        EmbeddedChannel first = connection("first");
        EmbeddedChannel second = connection("second");
        pool.release(first);

        pools.reconfigure(1, IDLE_TIMEOUT_NANOS);
        pool.release(second);

        assertThat(second.isOpen()).as("over the reloaded pool_max_idle of 1").isFalse();
        assertThat(first.isOpen()).isTrue();
    }

    @Test
    void aRetiredPoolClosesItsIdleConnectionsAndEachOneThatComesBack() {
        pool(8, IDLE_TIMEOUT_NANOS);
        EmbeddedChannel idle = connection("idle");
        EmbeddedChannel busy = connection("busy");
        pool.release(idle);
        boolean[] forgotten = {false};

        pool.retireOnLoop(() -> forgotten[0] = true);
        loop.runPendingTasks();

        assertThat(forgotten[0]).isTrue();
        assertThat(idle.isOpen()).as("idle: closed at once").isFalse();
        assertThat(busy.isOpen()).as("still carrying a request").isTrue();
        pool.release(busy);
        assertThat(busy.isOpen()).as("closed when its exchange is done").isFalse();
        assertThat(poll()).isNull();
    }

    @Test
    void closesAConnectionReturnedToAFullPool() {
        pool(2, IDLE_TIMEOUT_NANOS);
        EmbeddedChannel first = connection("first");
        EmbeddedChannel second = connection("second");
        EmbeddedChannel extra = connection("extra");
        pool.release(first);
        pool.release(second);
        pool.release(extra);

        assertThat(extra.isOpen()).as("the connection over max_idle is closed").isFalse();
        assertThat(first.isOpen()).isTrue();
        assertThat(second.isOpen()).isTrue();
        assertThat(poll()).isEqualTo("second");
        assertThat(poll()).isEqualTo("first");
        assertThat(poll()).isNull();
    }

    @Test
    void doesNotHandOutAConnectionClosedWhileIdle() {
        pool(8, IDLE_TIMEOUT_NANOS);
        EmbeddedChannel older = connection("older");
        EmbeddedChannel closed = connection("closed");
        pool.release(older);
        pool.release(closed);

        closed.close();

        assertThat(poll()).isEqualTo("older");
        assertThat(poll()).isNull();
    }

    @Test
    void skipsAConnectionThatClosedWithoutThePoolHearingOfIt() {
        pool(8, IDLE_TIMEOUT_NANOS);
        EmbeddedChannel older = connection("older");
        // No BackendHandler: nothing tells the pool of the close, so poll() has to see it for itself.
        EmbeddedChannel unheard = named("unheard", new EmbeddedChannel(new BackendCodec(new HttpDecoderConfig())));
        pool.release(older);
        pool.release(unheard);

        unheard.close();

        assertThat(poll()).isEqualTo("older");
        assertThat(poll()).isNull();
    }

    @Test
    void doesNotHandOutAConnectionHoldingStrayBytesAndClosesIt() {
        pool(8, IDLE_TIMEOUT_NANOS);
        EmbeddedChannel clean = connection("clean");
        EmbeddedChannel stray = connection("stray");
        pool.release(clean);
        pool.release(stray);
        // Bytes after the end of the last response, not (yet) a whole line: the decoder holds them, and would put
        // them in front of the next response on this connection.
        ByteBuf bytes = Unpooled.copiedBuffer("stray", StandardCharsets.US_ASCII);
        stray.writeInbound(bytes);
        assertThat(stray.isOpen()).isTrue();

        assertThat(poll())
                .as("rule: never hand out a pooled connection holding stray bytes (BackendPool.poll)")
                .isEqualTo("clean");
        assertThat(stray.isOpen()).isFalse();
        assertThat(bytes.refCnt()).isZero();
        assertThat(poll()).isNull();
    }

    @Test
    void closesAnIdleConnectionThatReceivesAMessage() {
        pool(8, IDLE_TIMEOUT_NANOS);
        EmbeddedChannel chatty = connection("chatty");
        pool.release(chatty);
        ByteBuf bytes = Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", StandardCharsets.US_ASCII);

        chatty.writeInbound(bytes);

        assertThat(chatty.isOpen()).isFalse();
        assertThat(bytes.refCnt()).isZero();
        assertThat(poll()).isNull();
    }

    @Test
    void theIdleSweepClosesOnlyTheConnectionsIdlePastTheTimeout() {
        long timeout = TimeUnit.MILLISECONDS.toNanos(500);
        pool(8, timeout);
        EmbeddedChannel expired = connection("expired");
        EmbeddedChannel fresh = connection("fresh");
        pool.release(expired);
        long returned = System.nanoTime();
        Await.until(Duration.ofSeconds(5), "the first connection to be idle past the timeout",
                () -> System.nanoTime() - returned > timeout);
        pool.release(fresh);

        loop.runPendingTasks();

        assertThat(expired.isOpen()).as("idle past the timeout").isFalse();
        assertThat(fresh.isOpen()).as("idle for less than the timeout").isTrue();
        assertThat(poll()).isEqualTo("fresh");
        assertThat(poll()).isNull();
    }

    @Test
    void doesNotTakeBackAConnectionThatIsAlreadyClosed() {
        pool(8, IDLE_TIMEOUT_NANOS);
        EmbeddedChannel closed = connection("closed");
        closed.close();

        pool.release(closed);

        assertThat(poll()).isNull();
    }
}
