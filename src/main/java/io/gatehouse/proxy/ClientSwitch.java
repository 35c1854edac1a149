package io.gatehouse.proxy;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;

import java.time.Duration;
import java.util.List;

/**
 * How a client connection stops being HTTP once its backend switched protocols: the server, which built the
 * client pipeline, knows which of its handlers only make sense for HTTP. Called on the connection's event loop.
 */
public interface ClientSwitch {

    /**
     * Replaces the HTTP handlers of {@code pipeline} by an idle timer of {@code idleTimeout} (no byte either way)
     * and {@code relay}, last; the one that sees every response on its way out stays. Returns the messages the
     * codec had decoded but the pipeline had not yet read: a client that sent anything after its upgrade request
     * and before the {@code 101} broke the handshake.
     */
    List<Object> toTunnel(ChannelPipeline pipeline, ChannelHandler relay, Duration idleTimeout);
}
