package io.gatehouse.admin;

import java.time.Instant;

/**
 * What {@code GET /config} shows: the running config's generation (1 at start, one more per successful reload),
 * when it was loaded, the SHA-256 of its YAML text, and the last reload that failed since. Never a key, a key's hash
 * or any other value of the config: a reload error is the loader's message, which names places, not secrets.
 *
 * @param sha256          lower-case hex, or null when the config was not read from text
 * @param lastErrorAt     null when no reload has failed since the last success
 * @param lastError       null likewise
 * @param pendingRestart  the keys whose new values the running gateway could not take (they size its event loops):
 *                        they differ from the running ones until a restart; empty when there are none
 */
public record ConfigStatus(long generation, Instant loadedAt, String sha256, Instant lastErrorAt, String lastError,
                           java.util.List<String> pendingRestart) {

    public ConfigStatus {
        pendingRestart = java.util.List.copyOf(pendingRestart);
    }

    /** Nothing waiting for a restart. */
    public ConfigStatus(long generation, Instant loadedAt, String sha256, Instant lastErrorAt, String lastError) {
        this(generation, loadedAt, sha256, lastErrorAt, lastError, java.util.List.of());
    }
}
