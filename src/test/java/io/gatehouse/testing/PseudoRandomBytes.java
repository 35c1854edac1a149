package io.gatehouse.testing;

import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A body of any length that is never held in memory: {@code length} pseudo-random bytes (xorshift64*) determined
 * by {@code seed}, the same whatever the sizes of the reads. A backend sends it, a client uploads it, and
 * {@link #sha256} says what the other end must have received.
 */
public final class PseudoRandomBytes extends InputStream {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);

    private final long length;
    private long position;
    private long state;
    private long word;
    private int wordLeft;

    public PseudoRandomBytes(long seed, long length) {
        this.length = length;
        this.state = seed == 0 ? 0x9E3779B97F4A7C15L : seed;
    }

    /** The SHA-256, in lower-case hex, of the {@code length} bytes that {@code seed} gives. */
    public static String sha256(long seed, long length) {
        MessageDigest digest = newSha256();
        byte[] buffer = new byte[256 * 1024];
        try (PseudoRandomBytes bytes = new PseudoRandomBytes(seed, length)) {
            int n;
            while ((n = bytes.read(buffer, 0, buffer.length)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public long remaining() {
        return length - position;
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) == 1 ? one[0] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        int n = (int) Math.min(len, length - position);
        if (n <= 0) {
            return -1;
        }
        int i = off;
        int end = off + n;
        while (i < end && wordLeft > 0) {
            b[i++] = (byte) word;
            word >>>= 8;
            wordLeft--;
        }
        while (end - i >= 8) {
            LONGS.set(b, i, next());
            i += 8;
        }
        if (i < end) {
            word = next();
            wordLeft = 8;
            while (i < end) {
                b[i++] = (byte) word;
                word >>>= 8;
                wordLeft--;
            }
        }
        position += n;
        return n;
    }

    private long next() {
        long x = state;
        x ^= x >>> 12;
        x ^= x << 25;
        x ^= x >>> 27;
        state = x;
        return x * 0x2545F4914F6CDD1DL;
    }

    @Override
    public void close() {
        // nothing to release
    }
}
