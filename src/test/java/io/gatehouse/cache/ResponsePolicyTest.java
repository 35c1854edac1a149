package io.gatehouse.cache;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Date;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** RFC 9111's storage, freshness and age rules, with fixed times. */
class ResponsePolicyTest {

    private static final long NOW = 1_800_000_000_000L;
    private static final Duration TTL = Duration.ofSeconds(60);

    private static HttpHeaders headers(String... pairs) {
        HttpHeaders headers = new DefaultHttpHeaders();
        for (int i = 0; i < pairs.length; i += 2) {
            headers.add(pairs[i], pairs[i + 1]);
        }
        return headers;
    }

    private static String why(int status, HttpHeaders response, boolean authorized) {
        CacheControl control = CacheControl.parse(response.getAll("cache-control"));
        long lifetime = ResponsePolicy.lifetimeMillis(status, response, control, TTL, NOW);
        return ResponsePolicy.whyNotStorable(status, response, control, authorized, lifetime);
    }

    private static String date(long millis) {
        return DateFormatter.format(new Date(millis));
    }

    @Test
    void sMaxAgeWinsOverMaxAgeWhichWinsOverExpiresWhichWinsOverTheTtl() {
        HttpHeaders all = headers("cache-control", "max-age=20, s-maxage=10", "expires", date(NOW + 30_000),
                "date", date(NOW));
        assertThat(lifetime(200, all)).isEqualTo(10_000);
        assertThat(lifetime(200, headers("cache-control", "max-age=20", "expires", date(NOW + 30_000))))
                .isEqualTo(20_000);
        assertThat(lifetime(200, headers("expires", date(NOW + 30_000), "date", date(NOW)))).isEqualTo(30_000);
        assertThat(lifetime(200, headers())).isEqualTo(60_000);
    }

    private static long lifetime(int status, HttpHeaders response) {
        return ResponsePolicy.lifetimeMillis(status, response, CacheControl.parse(response.getAll("cache-control")),
                TTL, NOW);
    }

    @Test
    void anInvalidExpiresIsInThePast() {
        assertThat(lifetime(200, headers("expires", "0"))).isZero();
    }

    @Test
    void expiresCountsFromTheBackendsDateNotFromArrival() {
        // The backend's clock is 10 s behind: its Expires is 30 s after its own Date.
        assertThat(lifetime(200, headers("date", date(NOW - 10_000), "expires", date(NOW + 20_000))))
                .isEqualTo(30_000);
    }

    @Test
    void onlyTheHeuristicStatusesTakeTheTtl() {
        for (int status : List.of(200, 203, 204, 300, 301, 404, 405, 410, 414, 501)) {
            assertThat(why(status, headers(), false)).as("status %d", status).isNull();
        }
        for (int status : List.of(201, 302, 307, 400, 403, 500, 502, 503)) {
            assertThat(why(status, headers(), false)).as("status %d", status).isEqualTo("no freshness");
            assertThat(why(status, headers("cache-control", "max-age=5"), false)).as("status %d", status).isNull();
        }
    }

    @Test
    void aZeroTtlStoresOnlyWhatTheBackendAllows() {
        CacheControl none = CacheControl.NONE;
        assertThat(ResponsePolicy.lifetimeMillis(200, headers(), none, Duration.ZERO, NOW)).isEqualTo(-1);
    }

    @Test
    void neverStored() {
        assertThat(why(200, headers("cache-control", "no-store, max-age=60"), false)).isEqualTo("no-store");
        assertThat(why(200, headers("cache-control", "private, max-age=60"), false)).isEqualTo("private");
        assertThat(why(200, headers("set-cookie", "s=1", "cache-control", "max-age=60"), false))
                .isEqualTo("Set-Cookie");
        assertThat(why(200, headers("vary", "Accept, *"), false)).isEqualTo("Vary: *");
        assertThat(why(206, headers("cache-control", "max-age=60"), false)).isEqualTo("status 206");
        assertThat(why(304, headers("cache-control", "max-age=60"), false)).isEqualTo("status 304");
    }

    @Test
    void anAuthorisedRequestsResponseIsStoredOnlyWhenTheBackendSaysSo() {
        assertThat(why(200, headers("cache-control", "max-age=60"), true)).isEqualTo("Authorization");
        assertThat(why(200, headers("cache-control", "public, max-age=60"), true)).isNull();
        assertThat(why(200, headers("cache-control", "s-maxage=60"), true)).isNull();
        assertThat(why(200, headers("cache-control", "must-revalidate, max-age=60"), true)).isNull();
    }

    @Test
    void noCacheIsStoredOnlyWithAValidator() {
        assertThat(why(200, headers("cache-control", "no-cache"), false)).isEqualTo("no-cache without a validator");
        assertThat(why(200, headers("cache-control", "no-cache", "etag", "\"v1\""), false)).isNull();
    }

    @Test
    void theInitialAgeIsTheLargerOfTheClocksAndTheBackendsAgePlusTheTrip() {
        long requested = NOW - 2_000;
        // Age 10 s, the request took 2 s: 12 s, more than the Date difference of 5 s.
        assertThat(ResponsePolicy.initialAgeMillis(headers("age", "10", "date", date(NOW - 5_000)), requested, NOW))
                .isEqualTo(12_000);
        // No Age, a Date 30 s old: 30 s.
        assertThat(ResponsePolicy.initialAgeMillis(headers("date", date(NOW - 30_000)), requested, NOW))
                .isEqualTo(30_000);
        // A Date in the future counts as no age at all.
        assertThat(ResponsePolicy.initialAgeMillis(headers("date", date(NOW + 30_000)), NOW, NOW)).isZero();
        // An Age that is not a number is ignored.
        assertThat(ResponsePolicy.initialAgeMillis(headers("age", "soon"), NOW, NOW)).isZero();
    }

    @Test
    void varyNamesAreLowerCasedSortedAndOnceEach() {
        assertThat(ResponsePolicy.varyNames(headers("vary", "Accept-Encoding, Accept", "vary", "accept")))
                .containsExactly("accept", "accept-encoding");
        assertThat(ResponsePolicy.varyNames(headers())).isEmpty();
        assertThat(ResponsePolicy.varyNames(headers("vary", "*"))).isNull();
    }
}
