package io.gatehouse.cache;

import java.util.List;

/**
 * The directives of a request's or response's {@code Cache-Control} fields (RFC 9111 section 5.2) that the cache
 * acts on. Several fields, or a directive given twice, combine to the most restrictive reading; a qualified
 * {@code no-cache="..."} or {@code private="..."} counts as the unqualified one (the cache does not store parts of
 * a response); a delta-seconds value that does not parse makes {@code max-age} or {@code s-maxage} 0 (stale), as
 * the RFC advises.
 *
 * @param maxAge  {@code max-age} in seconds, or -1 when absent
 * @param sMaxAge {@code s-maxage} in seconds, or -1 when absent
 */
public record CacheControl(boolean noStore, boolean noCache, boolean isPrivate, boolean isPublic,
                           boolean mustRevalidate, boolean onlyIfCached, long maxAge, long sMaxAge) {

    public static final CacheControl NONE = new CacheControl(false, false, false, false, false, false, -1, -1);

    /** The largest delta-seconds the RFC asks a cache to hold: 2^31. */
    static final long MAX_DELTA_SECONDS = 2147483648L;

    /** Parses every value of the field; an absent field gives {@link #NONE}. */
    public static CacheControl parse(List<String> values) {
        if (values.isEmpty()) {
            return NONE;
        }
        Builder b = new Builder();
        for (String value : values) {
            parseInto(value, b);
        }
        return new CacheControl(b.noStore, b.noCache, b.isPrivate, b.isPublic, b.mustRevalidate, b.onlyIfCached,
                b.maxAge, b.sMaxAge);
    }

    private static void parseInto(String value, Builder b) {
        int i = 0;
        int n = value.length();
        while (i < n) {
            while (i < n && (value.charAt(i) == ' ' || value.charAt(i) == '\t' || value.charAt(i) == ',')) {
                i++;
            }
            int nameStart = i;
            while (i < n && value.charAt(i) != '=' && value.charAt(i) != ',') {
                i++;
            }
            String name = value.substring(nameStart, i).trim().toLowerCase(java.util.Locale.ROOT);
            String argument = null;
            if (i < n && value.charAt(i) == '=') {
                i++;
                if (i < n && value.charAt(i) == '"') {
                    StringBuilder quoted = new StringBuilder();
                    i++;
                    while (i < n && value.charAt(i) != '"') {
                        if (value.charAt(i) == '\\' && i + 1 < n) {
                            i++;
                        }
                        quoted.append(value.charAt(i++));
                    }
                    i++; // the closing quote
                    argument = quoted.toString();
                    while (i < n && value.charAt(i) != ',') {
                        i++;
                    }
                } else {
                    int argStart = i;
                    while (i < n && value.charAt(i) != ',') {
                        i++;
                    }
                    argument = value.substring(argStart, i).trim();
                }
            }
            if (!name.isEmpty()) {
                b.directive(name, argument);
            }
        }
    }

    /** delta-seconds, or 0 when it is not one (a stale reading is the safe one); capped at 2^31. */
    static long deltaSeconds(String argument) {
        if (argument == null || argument.isEmpty()) {
            return 0;
        }
        long value = 0;
        for (int i = 0; i < argument.length(); i++) {
            char c = argument.charAt(i);
            if (c < '0' || c > '9') {
                return 0;
            }
            value = Math.min(MAX_DELTA_SECONDS, value * 10 + (c - '0'));
        }
        return value;
    }

    private static final class Builder {
        boolean noStore;
        boolean noCache;
        boolean isPrivate;
        boolean isPublic;
        boolean mustRevalidate;
        boolean onlyIfCached;
        long maxAge = -1;
        long sMaxAge = -1;

        void directive(String name, String argument) {
            switch (name) {
                case "no-store" -> noStore = true;
                case "no-cache" -> noCache = true;
                case "private" -> isPrivate = true;
                case "public" -> isPublic = true;
                case "must-revalidate", "proxy-revalidate" -> mustRevalidate = true;
                case "only-if-cached" -> onlyIfCached = true;
                case "max-age" -> maxAge = lower(maxAge, deltaSeconds(argument));
                case "s-maxage" -> sMaxAge = lower(sMaxAge, deltaSeconds(argument));
                default -> {
                    // Other directives (no-transform, immutable, stale-while-revalidate, ...) change nothing here.
                }
            }
        }

        private static long lower(long current, long next) {
            return current < 0 ? next : Math.min(current, next);
        }
    }
}
