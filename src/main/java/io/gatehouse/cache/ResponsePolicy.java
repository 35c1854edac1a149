package io.gatehouse.cache;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;

import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * RFC 9111's decisions about a response: whether a shared cache may store it, how long it stays fresh, and how old
 * it already is when it arrives. Plain functions of header values and times in epoch milliseconds.
 */
public final class ResponsePolicy {

    /**
     * The statuses that may be stored on the route's {@code ttl} alone (heuristically cacheable, RFC 9110 section
     * 15.1); any other status is stored only with explicit freshness from the backend.
     */
    static final Set<Integer> HEURISTIC_STATUSES = Set.of(200, 203, 204, 300, 301, 404, 405, 410, 414, 501);

    private ResponsePolicy() {
    }

    /**
     * Why the response must not be stored, or null when it may be.
     *
     * @param requestAuthorized the request carried {@code Authorization}
     * @param lifetimeMillis    its freshness lifetime from {@link #lifetimeMillis}, -1 for none
     */
    public static String whyNotStorable(int status, HttpHeaders response, CacheControl control,
                                        boolean requestAuthorized, long lifetimeMillis) {
        if (status < 200 || status == 206 || status == 304) {
            return "status " + status;
        }
        if (control.noStore()) {
            return "no-store";
        }
        if (control.isPrivate()) {
            return "private";
        }
        if (response.contains(HttpHeaderNames.SET_COOKIE)) {
            return "Set-Cookie";
        }
        List<String> vary = varyNames(response);
        if (vary == null) {
            return "Vary: *";
        }
        if (requestAuthorized && !control.isPublic() && control.sMaxAge() < 0 && !control.mustRevalidate()) {
            // RFC 9111 section 3.5: a shared cache stores an answer to an authorised request only when told to.
            return "Authorization";
        }
        if (lifetimeMillis < 0 && !(control.noCache() && HEURISTIC_STATUSES.contains(status))) {
            return "no freshness";
        }
        if (control.noCache() && validator(response) == null) {
            // Stored, it would have to be revalidated before every use, and without a validator it cannot be.
            return "no-cache without a validator";
        }
        return null;
    }

    /**
     * The freshness lifetime: {@code s-maxage}, else {@code max-age}, else {@code Expires} minus {@code Date}
     * (an invalid {@code Expires} is in the past), else the route's {@code ttl} for a heuristically cacheable
     * status; -1 when there is none.
     */
    public static long lifetimeMillis(int status, HttpHeaders response, CacheControl control, Duration ttl,
                                      long responseTime) {
        if (control.sMaxAge() >= 0) {
            return control.sMaxAge() * 1000;
        }
        if (control.maxAge() >= 0) {
            return control.maxAge() * 1000;
        }
        String expires = response.get(HttpHeaderNames.EXPIRES);
        if (expires != null) {
            Date at = DateFormatter.parseHttpDate(expires);
            if (at == null) {
                return 0;
            }
            long date = dateMillis(response, responseTime);
            return Math.max(0, at.getTime() - date);
        }
        if (HEURISTIC_STATUSES.contains(status) && !ttl.isZero()) {
            return ttl.toMillis();
        }
        return -1;
    }

    /**
     * RFC 9111 section 4.2.3's {@code corrected_initial_age}: the larger of the age the clocks show ({@code
     * Date} to arrival) and the backend's {@code Age} plus the time the request took.
     */
    public static long initialAgeMillis(HttpHeaders response, long requestTime, long responseTime) {
        long apparent = Math.max(0, responseTime - dateMillis(response, responseTime));
        long ageValue = 0;
        String age = response.get(HttpHeaderNames.AGE);
        if (age != null) {
            String trimmed = age.trim();
            if (!trimmed.isEmpty() && trimmed.chars().allMatch(c -> c >= '0' && c <= '9')) {
                ageValue = Math.min(CacheControl.MAX_DELTA_SECONDS, trimmed.length() > 10
                        ? CacheControl.MAX_DELTA_SECONDS : Long.parseLong(trimmed)) * 1000;
            }
        }
        long corrected = ageValue + Math.max(0, responseTime - requestTime);
        return Math.max(apparent, corrected);
    }

    private static long dateMillis(HttpHeaders response, long fallback) {
        String date = response.get(HttpHeaderNames.DATE);
        Date parsed = date == null ? null : DateFormatter.parseHttpDate(date);
        return parsed == null ? fallback : parsed.getTime();
    }

    /**
     * The header names {@code Vary} lists, lower case, sorted and once each (empty without one); null for {@code
     * Vary: *}, which no request can match.
     */
    public static List<String> varyNames(HttpHeaders response) {
        List<String> values = response.getAll(HttpHeaderNames.VARY);
        if (values.isEmpty()) {
            return List.of();
        }
        TreeSet<String> names = new TreeSet<>();
        for (String value : values) {
            for (String name : value.split(",")) {
                String trimmed = name.trim().toLowerCase(Locale.ROOT);
                if (trimmed.equals("*")) {
                    return null;
                }
                if (!trimmed.isEmpty()) {
                    names.add(trimmed);
                }
            }
        }
        return List.copyOf(names);
    }

    /** The response's {@code ETag}, else its {@code Last-Modified}, else null. */
    static String validator(HttpHeaders response) {
        String etag = response.get(HttpHeaderNames.ETAG);
        return etag != null ? etag : response.get(HttpHeaderNames.LAST_MODIFIED);
    }
}
