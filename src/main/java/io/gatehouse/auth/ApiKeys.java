package io.gatehouse.auth;

import io.gatehouse.config.ApiKeyConfig;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The accepted API keys. A presented key is hashed with SHA-256 and looked up by its digest, then the digests are
 * compared with {@link MessageDigest#isEqual}: the time taken depends on the digest, never on how many leading
 * characters of a real key the caller guessed. Plain keys are not kept.
 */
public final class ApiKeys {

    private final Map<Digest, Entry> byDigest;

    private ApiKeys(Map<Digest, Entry> byDigest) {
        this.byDigest = byDigest;
    }

    public static ApiKeys of(List<ApiKeyConfig> keys) {
        Map<Digest, Entry> map = new HashMap<>();
        for (ApiKeyConfig key : keys) {
            byte[] digest = key.digest();
            map.put(new Digest(digest), new Entry(digest, new ApiClient(key.name(), key.rateLimit())));
        }
        return new ApiKeys(Map.copyOf(map));
    }

    /** The client the key belongs to, or null when the key is not accepted. */
    public ApiClient lookup(String presentedKey) {
        byte[] digest = sha256(presentedKey);
        Entry entry = byDigest.get(new Digest(digest));
        if (entry == null || !MessageDigest.isEqual(entry.digest, digest)) {
            return null;
        }
        return entry.client;
    }

    public int size() {
        return byDigest.size();
    }

    static byte[] sha256(String key) {
        MessageDigest digest = SHA_256.get();
        digest.reset();
        return digest.digest(key.getBytes(StandardCharsets.UTF_8));
    }

    /** One digest per thread: looking the algorithm up on every request costs more than hashing the key. */
    private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    });

    private record Entry(byte[] digest, ApiClient client) {
    }

    /** A digest as a map key. Digests are uniformly distributed, so the first bytes make a good hash code. */
    private static final class Digest {
        private final byte[] bytes;
        private final int hash;

        Digest(byte[] bytes) {
            this.bytes = bytes;
            this.hash = (bytes[0] & 0xff) << 24 | (bytes[1] & 0xff) << 16 | (bytes[2] & 0xff) << 8 | (bytes[3] & 0xff);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Digest d && Arrays.equals(bytes, d.bytes);
        }
    }
}
