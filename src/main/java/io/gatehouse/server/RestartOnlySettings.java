package io.gatehouse.server;

import io.gatehouse.config.GatewayConfig;

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

    /** The keys whose values differ between {@code running} and {@code next}, as written in the file. */
    static List<String> changed(GatewayConfig running, GatewayConfig next) {
        List<String> keys = new ArrayList<>();
        var was = running.server();
        var now = next.server();
        if (was.ioThreads() != now.ioThreads()) {
            keys.add("server.io_threads");
        }
        if (was.transport() != now.transport()) {
            keys.add("server.transport");
        }
        if (!was.sameListener(now)) {
            keys.add("server.host/server.port");
        }
        if (!running.rateLimit().sameStore(next.rateLimit())) {
            keys.add("rate_limit.store/rate_limit.redis");
        }
        if (!running.operations().admin().equals(next.operations().admin())) {
            keys.add("admin");
        }
        if (!running.backend().equals(next.backend())) {
            keys.add("backend");
        }
        return keys;
    }
}
