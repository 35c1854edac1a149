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
 */
public record ConfigStatus(long generation, Instant loadedAt, String sha256, Instant lastErrorAt, String lastError) {
}
