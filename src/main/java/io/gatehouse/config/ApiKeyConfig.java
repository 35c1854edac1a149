package io.gatehouse.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One accepted API key, the client name it stands for and that client's request budget per window. The key is
 * given either as itself ({@code key:}) or as the SHA-256 of its UTF-8 bytes ({@code key_sha256:}); exactly one of
 * {@link #key} and {@link #keySha256} is set. Code that checks keys should use {@link #digest()}, which works for
 * both.
 *
 * @param key       the key as the client sends it, or null when only its hash was given
 * @param keySha256 the key's SHA-256 as 64 lower-case hex digits, or null when the key itself was given
 * @param name      the client's name for logs and rate-limit buckets
 * @param rateLimit requests allowed per window of the {@code default} rate-limit policy; 0 when the key has only
 *                  named policies
 * @param policies  the names of the key's named rate-limit policies, stacked on the default one; may be empty
 */
public record ApiKeyConfig(String key, String keySha256, String name, long rateLimit, List<String> policies) {

    private static final int SHA256_HEX_LENGTH = 64;

    public ApiKeyConfig {
        if ((key == null) == (keySha256 == null)) {
            throw new IllegalArgumentException("exactly one of key and keySha256 must be given");
        }
        if (keySha256 != null) {
            if (!isSha256Hex(keySha256)) {
                // The value is not shown: it is a secret, or a key pasted into the wrong field.
                throw new IllegalArgumentException("keySha256 must be 64 hex digits");
            }
            keySha256 = keySha256.toLowerCase(Locale.ROOT);
        }
        Objects.requireNonNull(name, "name");
        policies = List.copyOf(policies);
        if (rateLimit < 0 || rateLimit == 0 && policies.isEmpty()) {
            throw new IllegalArgumentException("rateLimit must be positive, or 0 with named policies: " + rateLimit);
        }
    }

    /** A key with only the default policy. */
    public ApiKeyConfig(String key, String keySha256, String name, long rateLimit) {
        this(key, keySha256, name, rateLimit, List.of());
    }

    /** A key given as itself. */
    public ApiKeyConfig(String key, String name, long rateLimit) {
        this(Objects.requireNonNull(key, "key"), null, name, rateLimit);
    }

    /** A key given as the hex SHA-256 of its UTF-8 bytes, in either case. */
    public static ApiKeyConfig ofSha256(String keySha256, String name, long rateLimit) {
        return new ApiKeyConfig(null, Objects.requireNonNull(keySha256, "keySha256"), name, rateLimit);
    }

    /**
     * The SHA-256 of the key's UTF-8 bytes (32 bytes), whichever way the key was given: what a presented key's
     * digest must equal. A new array on every call.
     */
    public byte[] digest() {
        return key != null ? sha256(key) : HexFormat.of().parseHex(keySha256);
    }

    /** Whether {@code text} is a SHA-256 in hex: 64 digits 0-9, a-f or A-F. */
    static boolean isSha256Hex(String text) {
        if (text.length() != SHA256_HEX_LENGTH) {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (Character.digit(text.charAt(i), 16) < 0 || text.charAt(i) > 'f') {
                return false;
            }
        }
        return true;
    }

    static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    /** Never prints the key or its hash: configs end up in logs and exception messages. */
    @Override
    public String toString() {
        return "ApiKeyConfig[name=" + name + ", rateLimit=" + rateLimit + ", policies=" + policies + "]";
    }
}
