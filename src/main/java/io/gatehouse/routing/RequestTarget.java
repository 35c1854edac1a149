package io.gatehouse.routing;

import java.util.Objects;

/**
 * An origin-form request target split into a normalised path and the raw query.
 *
 * <p>{@link #parse} runs once per request, before route matching, so that the route is chosen on exactly the path
 * that is forwarded (SECURITY-CASES R1–R4). The path is decoded at most once, and only for unreserved characters;
 * every other escape stays encoded (with upper-case hex), so {@code %3B}, {@code %0D%0A} and {@code %252e} reach the
 * backend as escapes. {@code %00}, {@code %2F} and {@code %5C} are rejected because backends disagree on them.
 * Dot segments are removed and runs of '/' merged; empty segments are dropped before dot segments are applied
 * ({@code /a//../b} → {@code /b}), as nginx does. A '.' or '..' segment followed by parameters ({@code ..;x},
 * {@code ..%3Bx}) is rejected because some backends strip parameters and would then see {@code ..}.
 * The query is validated but never decoded or rewritten.
 */
public final class RequestTarget {

    private final String path;
    private final String rawQuery;

    private RequestTarget(String path, String rawQuery) {
        this.path = path;
        this.rawQuery = rawQuery;
    }

    /**
     * Parses and normalises an origin-form request target.
     *
     * @throws InvalidTargetException if the target is not a path or holds bytes or escapes Gatehouse refuses
     */
    public static RequestTarget parse(String rawUri) {
        if (rawUri == null || rawUri.isEmpty() || rawUri.charAt(0) != '/') {
            throw new InvalidTargetException("request target must be a path");
        }
        int length = rawUri.length();
        int pathEnd = rawUri.indexOf('?');
        String rawQuery = null;
        if (pathEnd < 0) {
            pathEnd = length;
        } else {
            validateQuery(rawUri, pathEnd + 1, length);
            rawQuery = rawUri.substring(pathEnd + 1);
        }
        String path;
        if (validatePath(rawUri, pathEnd)) {
            path = normalise(rawUri, pathEnd);
        } else {
            // Fast path: already clean, so the input itself (or its path part) is the answer.
            path = pathEnd == length ? rawUri : rawUri.substring(0, pathEnd);
        }
        return new RequestTarget(path, rawQuery);
    }

    /** The normalised path: starts with '/', no dot segments, no empty segments, trailing slash kept. */
    public String path() {
        return path;
    }

    /** The bytes after the first '?' exactly as received (possibly empty), or {@code null} when there was no '?'. */
    public String rawQuery() {
        return rawQuery;
    }

    /**
     * Validates {@code s[0, end)} and says whether it needs rewriting: an escape to decode or upper-case,
     * "//", or a segment that may be a dot segment. Anything the slow path could reject must return true here.
     */
    private static boolean validatePath(String s, int end) {
        boolean rewrite = false;
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            if (c == '/') {
                if (i + 1 < end) {
                    char next = s.charAt(i + 1);
                    if (next == '/' || next == '.' && mayBeDotSegment(s, i + 1, end)) {
                        rewrite = true;
                    }
                }
            } else if (c == '%') {
                int value = escapeValue(s, i, end);
                if (value < 0) {
                    throw new InvalidTargetException("invalid percent-encoding in path");
                }
                switch (value) {
                    case 0x00 -> throw new InvalidTargetException("encoded NUL in path");
                    case '/' -> throw new InvalidTargetException("encoded slash in path");
                    case '\\' -> throw new InvalidTargetException("encoded backslash in path");
                    default -> {
                        if (isUnreserved(value) || isLowerHex(s.charAt(i + 1)) || isLowerHex(s.charAt(i + 2))) {
                            rewrite = true;
                        }
                    }
                }
                i += 2;
            } else {
                checkVisible(c);
                if (c == '\\') {
                    throw new InvalidTargetException("backslash in path");
                }
            }
        }
        return rewrite;
    }

    private static void validateQuery(String s, int start, int end) {
        for (int i = start; i < end; i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (escapeValue(s, i, end) < 0) {
                    throw new InvalidTargetException("invalid percent-encoding in query");
                }
                i += 2;
            } else {
                checkVisible(c);
            }
        }
    }

    private static void checkVisible(char c) {
        if (c < 0x21 || c >= 0x7F) {
            throw new InvalidTargetException("invalid character in request target");
        }
        if (c == '#') {
            throw new InvalidTargetException("fragment in request target");
        }
    }

    /** A segment starting at {@code s[start] == '.'} that is '.', '..', or one of those followed by ';' or '%'. */
    private static boolean mayBeDotSegment(String s, int start, int end) {
        int k = start + 1;
        if (k < end && s.charAt(k) == '.') {
            k++;
        }
        if (k == end) {
            return true;
        }
        char c = s.charAt(k);
        return c == '/' || c == ';' || c == '%';
    }

    /** Slow path: decode unreserved escapes once, upper-case the others, then remove dot and empty segments. */
    private static String normalise(String s, int end) {
        char[] decoded = new char[end];
        int n = 0;
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            if (c == '%') {
                char hi = s.charAt(i + 1);
                char lo = s.charAt(i + 2);
                int value = hexValue(hi) << 4 | hexValue(lo);
                if (isUnreserved(value)) {
                    decoded[n++] = (char) value;
                } else {
                    decoded[n++] = '%';
                    decoded[n++] = toUpperHex(hi);
                    decoded[n++] = toUpperHex(lo);
                }
                i += 2;
            } else {
                decoded[n++] = c;
            }
        }

        // decoded[0] == '/'. out holds "/seg/seg" without a trailing slash until the end; segments are only
        // ever popped back to a '/', so the work is linear in the path length.
        char[] out = new char[n + 1];
        int o = 0;
        boolean trailingSlash = false;
        int i = 0;
        while (i < n) {
            int start = i + 1;
            int segEnd = start;
            while (segEnd < n && decoded[segEnd] != '/') {
                segEnd++;
            }
            int segLength = segEnd - start;
            boolean last = segEnd == n;
            if (segLength == 0 || segLength == 1 && decoded[start] == '.') {
                trailingSlash = last;
            } else if (segLength == 2 && decoded[start] == '.' && decoded[start + 1] == '.') {
                o = popSegment(out, o);
                trailingSlash = last;
            } else {
                checkDotWithParameters(decoded, start, segEnd);
                out[o++] = '/';
                System.arraycopy(decoded, start, out, o, segLength);
                o += segLength;
                trailingSlash = false;
            }
            i = segEnd;
        }
        if (o == 0 || trailingSlash) {
            out[o++] = '/';
        }
        return new String(out, 0, o);
    }

    /** Drops the last "/seg" of {@code out[0, o)}; at the root there is nothing to drop ("/../a" → "/a"). */
    private static int popSegment(char[] out, int o) {
        while (o > 0) {
            o--;
            if (out[o] == '/') {
                break;
            }
        }
        return o;
    }

    private static void checkDotWithParameters(char[] path, int start, int end) {
        if (path[start] != '.') {
            return;
        }
        int k = start + 1;
        if (k < end && path[k] == '.') {
            k++;
        }
        // Escapes are upper-cased by now, so "%3B" is the only spelling of an encoded ';'.
        if (k < end && (path[k] == ';' || k + 2 < end && path[k] == '%' && path[k + 1] == '3' && path[k + 2] == 'B')) {
            throw new InvalidTargetException("dot segment with parameters");
        }
    }

    /** The byte value of the escape at {@code s[i] == '%'}, or -1 if it is truncated or not hex. */
    private static int escapeValue(String s, int i, int end) {
        if (i + 2 >= end) {
            return -1;
        }
        int hi = hexValue(s.charAt(i + 1));
        int lo = hexValue(s.charAt(i + 2));
        return hi < 0 || lo < 0 ? -1 : hi << 4 | lo;
    }

    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    }

    private static boolean isLowerHex(char c) {
        return c >= 'a' && c <= 'f';
    }

    private static char toUpperHex(char c) {
        return isLowerHex(c) ? (char) (c - ('a' - 'A')) : c;
    }

    /** RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~". */
    private static boolean isUnreserved(int c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || c == '-' || c == '.' || c == '_' || c == '~';
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RequestTarget other && path.equals(other.path) && Objects.equals(rawQuery, other.rawQuery);
    }

    @Override
    public int hashCode() {
        return 31 * path.hashCode() + Objects.hashCode(rawQuery);
    }

    @Override
    public String toString() {
        return rawQuery == null ? path : path + '?' + rawQuery;
    }
}
