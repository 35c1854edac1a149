package io.gatehouse.auth.jwt;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.nimbusds.jose.jwk.JWKSet;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * Tokens that passed every check, kept so that a client's next request with the same token skips the signature:
 * an RS256 check costs about 90 µs of CPU and an ES256 one about a millisecond, on every request, for a token a
 * client sends hundreds of times. Keyed by the SHA-256 of the token, never the token itself. An entry is used only
 * while all that made the token good still holds: the same provider (and the route accepts it), the very key set
 * it was checked against (a rotation that drops the key checks the token again), and its {@code exp} not yet
 * reached on the provider's clock. It goes at its {@code exp}, or when the store is full (least used first). One
 * store per config snapshot: a reload starts empty, so nothing verified under old settings outlives them.
 * Thread-safe and cheap enough for an event loop; Caffeine's upkeep runs on the calling thread.
 */
public final class VerifiedTokens {

    /** How many tokens are kept: a few megabytes at most, claims included. */
    public static final int MAX_TOKENS = 10_000;

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    });

    /** The SHA-256 of a token. */
    public record TokenHash(long a, long b, long c, long d) {
        public static TokenHash of(String token) {
            ByteBuffer digest = ByteBuffer.wrap(SHA256.get().digest(token.getBytes(StandardCharsets.UTF_8)));
            return new TokenHash(digest.getLong(), digest.getLong(), digest.getLong(), digest.getLong());
        }
    }

    /** A verified token: who checked it, against which key set, what it proved, and until when. */
    public record Entry(JwtVerifier provider, JWKSet keys, JwtVerifier.Verified verified, long expiresAtMillis) {
    }

    private final Cache<TokenHash, Entry> store;
    private final LongAdder hits = new LongAdder();

    public VerifiedTokens() {
        this(MAX_TOKENS);
    }

    VerifiedTokens(int maxTokens) {
        this.store = Caffeine.newBuilder()
                .maximumSize(maxTokens)
                .executor(Runnable::run)
                .expireAfter(Expiry.creating((TokenHash hash, Entry entry) -> Duration.ofMillis(
                        Math.max(0, entry.expiresAtMillis() - entry.provider().nowMillis()))))
                .build();
    }

    /**
     * The entry for {@code hash} if its provider is one {@code accepts} takes, its key set is still the provider's
     * current one, and it has not expired; else null.
     */
    public Entry find(TokenHash hash, Predicate<JwtVerifier> accepts) {
        Entry entry = store.getIfPresent(hash);
        if (entry == null || !accepts.test(entry.provider()) || entry.keys() != entry.provider().keys().keys()
                || entry.provider().nowMillis() >= entry.expiresAtMillis()) {
            return null;
        }
        hits.increment();
        return entry;
    }

    /** Keeps a token {@code provider} just verified against {@code keys}; one without {@code exp} is never kept. */
    public void remember(TokenHash hash, JwtVerifier provider, JWKSet keys, JwtVerifier.Verified verified) {
        var exp = verified.claims().getExpirationTime();
        if (exp != null) {
            store.put(hash, new Entry(provider, keys, verified, exp.getTime()));
        }
    }

    /** How many lookups found a usable entry. */
    public long hits() {
        return hits.sum();
    }

    /** How many entries are held now (after pending upkeep). */
    public long size() {
        store.cleanUp();
        return store.estimatedSize();
    }
}
