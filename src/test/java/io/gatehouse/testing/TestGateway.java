package io.gatehouse.testing;

import io.gatehouse.config.ConfigException;
import io.gatehouse.config.ConfigLoader;
import io.gatehouse.config.GatewayConfig;
import io.gatehouse.server.GatehouseServer;

import java.net.URI;

/** A gateway started in this JVM on a free port from a YAML string, for real-socket tests. */
public final class TestGateway implements AutoCloseable {

    private final GatehouseServer server;

    private TestGateway(GatehouseServer server) {
        this.server = server;
    }

    /** Starts a gateway from {@code yaml}; {@code server.port} is forced to 0 unless the YAML sets a server block. */
    public static TestGateway start(String yaml) {
        try {
            GatewayConfig config = ConfigLoader.parse(yaml, "test.yaml");
            return new TestGateway(GatehouseServer.start(config));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return server.port();
    }

    public URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
    }

    public GatehouseServer server() {
        return server;
    }

    @Override
    public void close() {
        server.close();
    }
}
