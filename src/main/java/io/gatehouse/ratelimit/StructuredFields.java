package io.gatehouse.ratelimit;

/**
 * The little of RFC 9651 (Structured Field Values for HTTP) that the {@code RateLimit} and {@code RateLimit-Policy}
 * fields need: a List of Items whose bare items are Strings, each with Integer parameters. Serialisation only, and
 * strict: a value the RFC cannot represent is a programming error, not something to escape.
 */
public final class StructuredFields {

    /** RFC 9651 §3.3.1: Integers have at most 15 digits. */
    public static final long MAX_INTEGER = 999_999_999_999_999L;

    private StructuredFields() {
    }

    /** Appends a List member separator ({@code ", "}) unless {@code out} is empty. */
    public static StringBuilder member(StringBuilder out) {
        return out.isEmpty() ? out : out.append(", ");
    }

    /** RFC 9651 §4.1.6: a String, quoted, with {@code "} and {@code \} escaped; printable ASCII only. */
    public static StringBuilder string(StringBuilder out, String value) {
        out.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException("a structured-field string holds printable ASCII only: " + value);
            }
            if (c == '"' || c == '\\') {
                out.append('\\');
            }
            out.append(c);
        }
        return out.append('"');
    }

    /** RFC 9651 §4.1.1.2: a parameter {@code ;key=value} with an Integer value. */
    public static StringBuilder integerParameter(StringBuilder out, String key, long value) {
        checkKey(key);
        if (value < -MAX_INTEGER || value > MAX_INTEGER) {
            throw new IllegalArgumentException("a structured-field integer has at most 15 digits: " + value);
        }
        return out.append(';').append(key).append('=').append(value);
    }

    /** RFC 9651 §3.1.2: {@code key = ( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )}. */
    static void checkKey(String key) {
        if (key.isEmpty() || !(isLcAlpha(key.charAt(0)) || key.charAt(0) == '*')) {
            throw new IllegalArgumentException("not a structured-field key: " + key);
        }
        for (int i = 1; i < key.length(); i++) {
            char c = key.charAt(i);
            if (!(isLcAlpha(c) || (c >= '0' && c <= '9') || "_-.*".indexOf(c) >= 0)) {
                throw new IllegalArgumentException("not a structured-field key: " + key);
            }
        }
    }

    private static boolean isLcAlpha(char c) {
        return c >= 'a' && c <= 'z';
    }
}
