package io.gatehouse.tracing;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The {@code traceparent} header (W3C Trace Context, level 1): {@code 00-<trace id>-<parent id>-<flags>}, 55
 * lower-case characters. The gateway is one hop of the trace: the backend request gets the incoming trace id with a
 * fresh span id of the gateway's as its parent. An incoming value is continued only when it is valid — the right
 * length and separators, lower-case hex, a version other than {@code ff}, non-zero ids (a later version may be
 * longer, with a {@code -} after the fields this version knows) — otherwise, or when the gateway does not trust
 * its clients' trace context, a new trace begins. Immutable.
 *
 * @param traceId 32 lower-case hex digits
 * @param spanId  the gateway's span: 16 lower-case hex digits, the backend's parent
 * @param flags   2 hex digits; a new trace is sampled ({@code 01}), so that backends sampling by their parent
 *                record it as they would a request of their own
 * @param continued whether the trace id came from the client
 */
public record TraceParent(String traceId, String spanId, String flags, boolean continued) {

    public static final String HEADER = "traceparent";
    public static final String STATE_HEADER = "tracestate";
    private static final int LENGTH = 55;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    /** Continues {@code incoming} (the client's one {@code traceparent}, or null) if it is valid and trusted. */
    public static TraceParent next(String incoming, boolean trustIncoming) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        String span = hex(nonZero(random), 16);
        if (trustIncoming && incoming != null && valid(incoming)) {
            return new TraceParent(incoming.substring(3, 35), span, incoming.substring(53, 55), true);
        }
        long high = random.nextLong();
        long low = nonZero(random);
        return new TraceParent(hex(high, 16) + hex(low, 16), span, "01", false);
    }

    /** The header value for the backend request. */
    public String header() {
        return "00-" + traceId + '-' + spanId + '-' + flags;
    }

    /** Whether {@code value} is a traceparent this gateway may continue. */
    public static boolean valid(String value) {
        int length = value.length();
        if (length < LENGTH) {
            return false;
        }
        if (!isHex(value, 0, 2) || value.startsWith("ff")) {
            return false;
        }
        boolean version0 = value.startsWith("00");
        if (version0 ? length != LENGTH : length > LENGTH && value.charAt(LENGTH) != '-') {
            return false;
        }
        return value.charAt(2) == '-' && value.charAt(35) == '-' && value.charAt(52) == '-'
                && isHex(value, 3, 35) && !isZero(value, 3, 35)
                && isHex(value, 36, 52) && !isZero(value, 36, 52)
                && isHex(value, 53, 55);
    }

    private static boolean isHex(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    private static boolean isZero(String s, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) != '0') {
                return false;
            }
        }
        return true;
    }

    private static long nonZero(ThreadLocalRandom random) {
        long value;
        do {
            value = random.nextLong();
        } while (value == 0);
        return value;
    }

    private static String hex(long value, int digits) {
        char[] out = new char[digits];
        for (int i = digits - 1; i >= 0; i--) {
            out[i] = HEX[(int) (value & 0xf)];
            value >>>= 4;
        }
        return new String(out);
    }
}
