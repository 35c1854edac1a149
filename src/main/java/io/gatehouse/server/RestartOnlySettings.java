package io.gatehouse.server;

import io.gatehouse.config.GatewayConfig;
import io.gatehouse.config.ServerConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * The settings a reload cannot change in a running gateway: they size or choose the event loops every connection
 * lives on. A reload that changes them applies everything else, and logs (and {@code /config} shows) that these
 * wait for a restart.
 */
final class RestartOnlySettings {

    private RestartOnlySettings() {
    }

    /** The keys whose values in {@code next} differ from those the gateway was started with. */
    static List<String> changed(ServerConfig started, GatewayConfig next) {
        List<String> keys = new ArrayList<>();
        var was = started;
        var now = next.server();
        if (was.ioThreads() != now.ioThreads()) {
            keys.add("server.io_threads");
        }
        if (was.transport() != now.transport()) {
            keys.add("server.transport");
        }
        return keys;
    }
}
