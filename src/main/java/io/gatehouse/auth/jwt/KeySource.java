package io.gatehouse.auth.jwt;

import com.nimbusds.jose.jwk.JWKSet;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Where a provider's current key set comes from. Read on event loops: nothing here may block. */
public interface KeySource {

    /** The current key set: immutable, replaced as a whole; empty before the first successful load. */
    JWKSet keys();

    /**
     * A token named a key that is not in the set: a stage that completes when a fresh set is in (at most a couple
     * of seconds later, whatever happens), or null when no refetch may be made now (a file, or one was made a
     * short while ago). Concurrent callers share one fetch.
     */
    CompletionStage<?> refetch();

    /** Whether the first load has finished, successfully or not. */
    boolean ready();

    /** A key set that never changes: a {@code jwks_file}, read when the config was loaded. */
    static KeySource fixed(JWKSet keys) {
        return new KeySource() {
            @Override
            public JWKSet keys() {
                return keys;
            }

            @Override
            public CompletionStage<?> refetch() {
                return null;
            }

            @Override
            public boolean ready() {
                return true;
            }
        };
    }

    /** A completed stage, for callers that have nothing to wait for. */
    static CompletionStage<Void> done() {
        return CompletableFuture.completedFuture(null);
    }
}
