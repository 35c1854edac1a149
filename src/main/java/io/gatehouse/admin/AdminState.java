package io.gatehouse.admin;

import io.gatehouse.cache.HttpCache;
import io.gatehouse.reload.ReloadOutcome;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.concurrent.CompletionStage;

/** What the admin listener reports, as the server provides it; read from the admin event loop. */
public interface AdminState {

    /** Listening with a loaded config and not draining. */
    boolean ready();

    PrometheusRegistry registry();

    /** The running config's identity and the last reload error. */
    ConfigStatus configStatus();

    /** The response cache's store, for purging; null when nothing is cached. */
    default HttpCache cache() {
        return null;
    }

    /**
     * Reloads the config file ({@code POST /reload}), the same way SIGHUP does; the stage completes off the admin
     * event loop. Null when the gateway has no file to reload from (started from a config built in code).
     */
    default CompletionStage<ReloadOutcome> reload() {
        return null;
    }
}
