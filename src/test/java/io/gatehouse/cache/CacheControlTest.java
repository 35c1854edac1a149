package io.gatehouse.cache;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CacheControlTest {

    @Test
    void readsTheDirectivesTheCacheActsOn() {
        CacheControl control = CacheControl.parse(List.of("public, max-age=60, s-maxage=30, must-revalidate"));
        assertThat(control.isPublic()).isTrue();
        assertThat(control.maxAge()).isEqualTo(60);
        assertThat(control.sMaxAge()).isEqualTo(30);
        assertThat(control.mustRevalidate()).isTrue();
        assertThat(control.noStore()).isFalse();
        assertThat(control.isPrivate()).isFalse();
    }

    @Test
    void anAbsentFieldHasNoDirectives() {
        assertThat(CacheControl.parse(List.of())).isEqualTo(CacheControl.NONE);
    }

    @Test
    void namesAreCaseInsensitiveAndSeveralFieldsCombine() {
        CacheControl control = CacheControl.parse(List.of("Max-Age=100", "NO-STORE"));
        assertThat(control.maxAge()).isEqualTo(100);
        assertThat(control.noStore()).isTrue();
    }

    @Test
    void aRepeatedAgeTakesTheLowerValue() {
        assertThat(CacheControl.parse(List.of("max-age=100, max-age=5")).maxAge()).isEqualTo(5);
    }

    @Test
    void anUnparsableAgeIsZeroSoTheResponseIsStale() {
        assertThat(CacheControl.parse(List.of("max-age=abc")).maxAge()).isZero();
        assertThat(CacheControl.parse(List.of("s-maxage=")).sMaxAge()).isZero();
        assertThat(CacheControl.parse(List.of("max-age=-5")).maxAge()).isZero();
    }

    @Test
    void aHugeAgeIsCappedAtTwoToTheThirtyFirst() {
        assertThat(CacheControl.parse(List.of("max-age=99999999999999999999")).maxAge())
                .isEqualTo(CacheControl.MAX_DELTA_SECONDS);
    }

    @Test
    void qualifiedFormsCountAsTheUnqualifiedOnes() {
        CacheControl control = CacheControl.parse(List.of("private=\"Set-Cookie, X-User\", no-cache=\"X-Foo\""));
        assertThat(control.isPrivate()).isTrue();
        assertThat(control.noCache()).isTrue();
    }

    @Test
    void aQuotedValueMayHoldCommasWithoutEndingTheDirective() {
        CacheControl control = CacheControl.parse(List.of("no-cache=\"a, b\", max-age=7"));
        assertThat(control.noCache()).isTrue();
        assertThat(control.maxAge()).isEqualTo(7);
    }

    @Test
    void requestDirectives() {
        CacheControl control = CacheControl.parse(List.of("no-cache, only-if-cached, max-age=0"));
        assertThat(control.noCache()).isTrue();
        assertThat(control.onlyIfCached()).isTrue();
        assertThat(control.maxAge()).isZero();
    }

    @Test
    void proxyRevalidateCountsAsMustRevalidate() {
        assertThat(CacheControl.parse(List.of("proxy-revalidate")).mustRevalidate()).isTrue();
    }
}
