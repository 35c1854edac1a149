package io.gatehouse.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RequestTargetTest {

    private static String path(String rawUri) {
        return RequestTarget.parse(rawUri).path();
    }

    private static void assertRejected(String rawUri, String reason) {
        assertThatThrownBy(() -> RequestTarget.parse(rawUri))
                .isInstanceOf(InvalidTargetException.class)
                .hasMessage(reason);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @DisplayName("R1: decodes unreserved bytes once, removes dot segments and merges slashes")
    @CsvSource({
        "/api/users/../orders/1,     /api/orders/1",
        "/api/users/%2e%2e/orders/1, /api/orders/1",
        "/api/users/.%2E/x,          /api/x",
        "//api/users/1,              /api/users/1",
    })
    void normalisesTheR1Examples(String raw, String expected) {
        assertThat(path(raw)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @DisplayName("removes dot segments as RFC 3986 5.2.4 does")
    @CsvSource({
        "/a/./b,       /a/b",
        "/a/b/..,      /a/",
        "/a/b/.,       /a/b/",
        "/a/.,         /a/",
        "/..,          /",
        "/.,           /",
        "/../a,        /a",
        "/../../a/b,   /a/b",
        "/a/../../b,   /b",
        "/a/b/../../c, /c",
        "/a/%2E/b,     /a/b",
        "/a/%2e./b,    /b",
        "/a/...,       /a/...",
        "/a/.b/..c,    /a/.b/..c",
        "/.well-known/x, /.well-known/x",
    })
    void removesDotSegments(String raw, String expected) {
        assertThat(path(raw)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @DisplayName("merges runs of slashes, dropping empty segments before dot segments apply")
    @CsvSource({
        "//,          /",
        "///a///b,    /a/b",
        "/a//,        /a/",
        "/a//../b,    /b",
        "/a/.//b,     /a/b",
    })
    void mergesRunsOfSlashes(String raw, String expected) {
        assertThat(path(raw)).isEqualTo(expected);
    }

    @Test
    void preservesTheTrailingSlash() {
        assertThat(path("/api/users/")).isEqualTo("/api/users/");
        assertThat(path("/")).isEqualTo("/");
    }

    @Test
    void returnsTheInputItselfForAnAlreadyCleanPath() {
        String raw = "/api/users/42;v=1/a.b-c_d~e%20f%3B";
        assertThat(path(raw)).isSameAs(raw);
    }

    @Test
    void returnsTheUntouchedPathPartForAnAlreadyCleanPathWithQuery() {
        assertThat(RequestTarget.parse("/api/users?x=1")).isEqualTo(RequestTarget.parse("/api/users?x=1"));
        assertThat(path("/api/users?x=1")).isEqualTo("/api/users");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @DisplayName("decodes escapes of unreserved characters exactly once")
    @CsvSource({
        "/api/%7Euser,       /api/~user",
        "/api/%7euser,       /api/~user",
        "/%41%5a%61%7A%30%39, /AZaz09",
        "/%2D%2E%5F%7E,      /-._~",
    })
    void decodesUnreservedEscapes(String raw, String expected) {
        assertThat(path(raw)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @DisplayName("keeps reserved escapes encoded with upper-case hex")
    @CsvSource({
        "/a%3fb,     /a%3Fb",
        "/a%20b,     /a%20b",
        "/a%3Ab,     /a%3Ab",
        "/a%ff,      /a%FF",
        "/%e2%82%ac, /%E2%82%AC",
    })
    void keepsReservedEscapesEncodedWithUpperCaseHex(String raw, String expected) {
        assertThat(path(raw)).isEqualTo(expected);
    }

    @Test
    @DisplayName("R2: %3b in the path is never decoded")
    void neverDecodesAnEncodedSemicolon() {
        assertThat(path("/api/users%3bjsessionid=1")).isEqualTo("/api/users%3Bjsessionid=1");
        assertThat(path("/api/a%3B/b")).isEqualTo("/api/a%3B/b");
    }

    @ParameterizedTest(name = "{0}")
    @DisplayName("R2: rejects an encoded slash")
    @ValueSource(strings = {"/a%2fb", "/a%2Fb", "/api/users%2F..%2Fadmin"})
    void rejectsAnEncodedSlash(String raw) {
        assertRejected(raw, "encoded slash in path");
    }

    @ParameterizedTest(name = "{0}")
    @DisplayName("R2: rejects an encoded backslash")
    @ValueSource(strings = {"/a%5cb", "/a%5Cb"})
    void rejectsAnEncodedBackslash(String raw) {
        assertRejected(raw, "encoded backslash in path");
    }

    @Test
    @DisplayName("R2: rejects an encoded NUL")
    void rejectsAnEncodedNul() {
        assertRejected("/a%00b", "encoded NUL in path");
    }

    @Test
    void rejectsABackslashInThePath() {
        assertRejected("/a\\..\\admin", "backslash in path");
    }

    @Test
    void acceptsABackslashInTheQuery() {
        assertThat(RequestTarget.parse("/a?x=\\").rawQuery()).isEqualTo("x=\\");
    }

    @ParameterizedTest(name = "{0}")
    @DisplayName("rejects a dot segment followed by parameters")
    @ValueSource(strings = {"/api/..;x/admin", "/api/.;/admin", "/api/..;", "/api/%2e%2e;x/admin",
        "/api/..%3bx/admin", "/api/.%3B/admin"})
    void rejectsADotSegmentWithParameters(String raw) {
        assertRejected(raw, "dot segment with parameters");
    }

    @Test
    void acceptsParametersOnAnOrdinarySegment() {
        assertThat(path("/api/users;v=1/a;b")).isEqualTo("/api/users;v=1/a;b");
        assertThat(path("/api/...;x/.a;b")).isEqualTo("/api/...;x/.a;b");
    }

    @ParameterizedTest(name = "{0}")
    @DisplayName("R4: rejects a fragment")
    @ValueSource(strings = {"/a#b", "/a?x=1#b", "/#", "/a#?x"})
    void rejectsAFragment(String raw) {
        assertRejected(raw, "fragment in request target");
    }

    @ParameterizedTest(name = "char {0}")
    @DisplayName("R4: rejects raw bytes outside visible ASCII in the path")
    @ValueSource(ints = {0x00, 0x09, 0x0A, 0x0D, 0x20, 0x7F, 0x80, 0xE9, 0xFF, 0x20AC})
    void rejectsRawBytesOutsideVisibleAsciiInThePath(int c) {
        assertRejected("/a" + (char) c + "b", "invalid character in request target");
    }

    @ParameterizedTest(name = "char {0}")
    @DisplayName("R4: rejects raw bytes outside visible ASCII in the query")
    @ValueSource(ints = {0x00, 0x09, 0x0A, 0x0D, 0x20, 0x7F, 0x80, 0xFF})
    void rejectsRawBytesOutsideVisibleAsciiInTheQuery(int c) {
        assertRejected("/a?x=" + (char) c, "invalid character in request target");
    }

    @Test
    @DisplayName("R4: %0d%0a stays encoded, so the forwarded path never holds CR or LF")
    void keepsEncodedCrLfEncoded() {
        String p = path("/api/x%0d%0aSet-Cookie:%20a=b");
        assertThat(p).isEqualTo("/api/x%0D%0ASet-Cookie:%20a=b").doesNotContain("\r").doesNotContain("\n");
    }

    @Test
    @DisplayName("R4: %252e is decoded at most once and is not a dot segment")
    void decodesAtMostOnce() {
        assertThat(path("/api/%252e%252e/admin")).isEqualTo("/api/%252e%252e/admin");
        assertThat(path("/api/%252E")).isEqualTo("/api/%252E");
        assertThat(path("/api/%25")).isEqualTo("/api/%25");
    }

    @ParameterizedTest(name = "{0}")
    @DisplayName("rejects an invalid or truncated percent-escape in the path")
    @ValueSource(strings = {"/a%zz", "/a%4", "/a%", "/a%g0", "/a%0g", "/a%4?x=1", "/a%?x"})
    void rejectsAnInvalidPercentEscapeInThePath(String raw) {
        assertRejected(raw, "invalid percent-encoding in path");
    }

    @ParameterizedTest(name = "{0}")
    @DisplayName("rejects an invalid or truncated percent-escape in the query")
    @ValueSource(strings = {"/a?x=%zz", "/a?x=%4", "/a?%", "/a?x=%%41"})
    void rejectsAnInvalidPercentEscapeInTheQuery(String raw) {
        assertRejected(raw, "invalid percent-encoding in query");
    }

    @ParameterizedTest(name = "\"{0}\"")
    @DisplayName("rejects a target that is not a path")
    @ValueSource(strings = {"", "*", "http://evil.example/a", "a/b", "?x=1", "%2Fa"})
    void rejectsATargetThatIsNotAPath(String raw) {
        assertRejected(raw, "request target must be a path");
    }

    @Test
    void rejectsANullTarget() {
        assertRejected(null, "request target must be a path");
    }

    @Test
    void splitsTheQueryAtTheFirstQuestionMarkWithoutTouchingIt() {
        RequestTarget target = RequestTarget.parse("/a?x=%2F&y=1");
        assertThat(target.path()).isEqualTo("/a");
        assertThat(target.rawQuery()).isEqualTo("x=%2F&y=1");
    }

    @Test
    void preservesTheQueryByteForByte() {
        String query = "b=%2f%2e%2E&a=1&a=2&c=%7e?d=/../x&e=;f&g=%00&h=%252e&i=\\&&";
        RequestTarget target = RequestTarget.parse("/api/../a?" + query);
        assertThat(target.path()).isEqualTo("/a");
        assertThat(target.rawQuery()).isEqualTo(query);
    }

    @Test
    void keepsAnEmptyQueryAsEmptyNotNull() {
        assertThat(RequestTarget.parse("/a?").rawQuery()).isEmpty();
        assertThat(RequestTarget.parse("/a").rawQuery()).isNull();
    }

    @Test
    void throwsACheapExceptionWithoutStackTrace() {
        assertThatThrownBy(() -> RequestTarget.parse("/a%zz"))
                .satisfies(e -> assertThat(e.getStackTrace()).isEmpty());
    }

    @Test
    void isIdempotent() {
        for (String raw : new String[] {"/api/users/%2e%2e/orders/1", "/a/%7e/%3b/..//b/", "//x/./y/../z"}) {
            String once = path(raw);
            assertThat(path(once)).isEqualTo(once);
        }
    }

    @Test
    void producesAFixedPointWithoutEmptyOrDotSegmentsOnRandomInputs() {
        char[] alphabet = "/./.a%2eE3Bf;~7".toCharArray();
        Random random = new Random(7);
        for (int n = 0; n < 100_000; n++) {
            StringBuilder raw = new StringBuilder("/");
            for (int i = random.nextInt(10); i >= 0; i--) {
                raw.append(alphabet[random.nextInt(alphabet.length)]);
            }
            String input = raw.toString();
            String normalised;
            try {
                normalised = path(input);
            } catch (InvalidTargetException rejected) {
                continue;
            }
            assertThat(path(normalised)).as(input).isEqualTo(normalised);
            assertThat(normalised).as(input).startsWith("/").doesNotContain("//").doesNotContain("/./")
                    .doesNotContain("/../").doesNotEndWith("/.").doesNotEndWith("/..");
        }
    }
}
