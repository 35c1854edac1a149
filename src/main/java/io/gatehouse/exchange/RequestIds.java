package io.gatehouse.exchange;

import io.netty.util.AsciiString;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/** Request IDs: the {@code X-Request-Id} given to each request, on the request to the backend and on every response. */
public final class RequestIds {

    public static final AsciiString HEADER = AsciiString.cached("X-Request-Id");

    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private RequestIds() {
    }

    /**
     * A version 4 UUID from the calling thread's own random source: request IDs must be unique, not secret, and
     * {@code UUID.randomUUID()} would put a shared SecureRandom on every request. Written straight into an
     * {@link AsciiString}, which goes into both headers as bytes.
     */
    public static AsciiString next() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long msb = (random.nextLong() & ~0xF000L) | 0x4000L;
        long lsb = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        byte[] id = new byte[36];
        hex(msb >>> 32, id, 0, 8);
        id[8] = '-';
        hex(msb >>> 16, id, 9, 4);
        id[13] = '-';
        hex(msb, id, 14, 4);
        id[18] = '-';
        hex(lsb >>> 48, id, 19, 4);
        id[23] = '-';
        hex(lsb, id, 24, 12);
        return new AsciiString(id, false);
    }

    /** Writes the low {@code digits} hex digits of {@code value} into {@code out} at {@code at}. */
    private static void hex(long value, byte[] out, int at, int digits) {
        for (int i = digits - 1; i >= 0; i--) {
            out[at + i] = HEX[(int) (value & 0xF)];
            value >>>= 4;
        }
    }
}
