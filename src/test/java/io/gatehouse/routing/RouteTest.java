package io.gatehouse.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.config.AuthMode;
import io.gatehouse.config.RouteConfig;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RouteTest {

    private static final URI BACKEND = URI.create("http://backend:8080");

    static Route route(String prefix, boolean stripPrefix, String... upstream) {
        List<URI> targets = upstream.length == 0
                ? List.of(BACKEND)
                : Arrays.stream(upstream).map(URI::create).toList();
        return Route.of(new RouteConfig(prefix, targets, stripPrefix, false, AuthMode.API_KEY, Duration.ofSeconds(30)));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "/api/users/42,     /42",
        "/api/users,        /",
        "/api/users/,       /",
        "/api/users/42/x/,  /42/x/",
    })
    void stripsThePrefixWhenConfigured(String path, String expected) {
        Route route = route("/api/users", true);
        assertThat(route.backendUri(path, null, BACKEND)).isEqualTo(expected);
    }

    @Test
    void forwardsTheWholePathWhenNotStripping() {
        Route route = route("/api/users", false);
        assertThat(route.backendUri("/api/users/42", null, BACKEND)).isEqualTo("/api/users/42");
        assertThat(route.backendUri("/api/users/42", null, BACKEND)).isSameAs(route.backendUri("/api/users/42", null, BACKEND));
    }

    @Test
    void forwardsTheWholePathForTheRootPrefixEvenWhenStripping() {
        Route route = route("/", true);
        assertThat(route.backendUri("/a/b", null, BACKEND)).isEqualTo("/a/b");
        assertThat(route.backendUri("/", null, BACKEND)).isEqualTo("/");
    }

    @ParameterizedTest(name = "{0} + {1} -> {2}")
    @CsvSource({
        "http://h:1/v1,    /api/users/42, /v1/42",
        "http://h:1/v1/,   /api/users/42, /v1/42",
        "http://h:1/v1,    /api/users,    /v1/",
        "http://h:1/a/b/,  /api/users/,   /a/b/",
        "http://h:1/,      /api/users/42, /42",
        "http://h:1,       /api/users/42, /42",
        "http://h:1/v%201, /api/users/42, /v%201/42",
    })
    void prependsTheTargetBasePathWithoutDoubleSlash(String upstream, String path, String expected) {
        Route route = route("/api/users", true, upstream);
        assertThat(route.backendUri(path, null, route.targets().get(0))).isEqualTo(expected);
    }

    @Test
    void prependsTheBasePathToTheWholePathWhenNotStripping() {
        Route route = route("/api", false, "http://h:1/v1");
        assertThat(route.backendUri("/api/x", null, route.targets().get(0))).isEqualTo("/v1/api/x");
    }

    @Test
    void appendsTheRawQueryByteForByte() {
        Route route = route("/api/users", true, "http://h:1/v1");
        String query = "x=%2F&y=1&z=%2e%2E&&w=a?b";
        assertThat(route.backendUri("/api/users/42", query, route.targets().get(0))).isEqualTo("/v1/42?" + query);
    }

    @Test
    void keepsTheQuestionMarkOfAnEmptyQuery() {
        Route route = route("/api/users", false);
        assertThat(route.backendUri("/api/users", "", BACKEND)).isEqualTo("/api/users?");
        assertThat(route.backendUri("/api/users", null, BACKEND)).isEqualTo("/api/users");
    }

    @Test
    void forwardsEndToEndTheNormalisedPath() {
        Route route = route("/api/users", true);
        RequestTarget target = RequestTarget.parse("/api/users/%2e/42/../43?q=%2e%2E");
        assertThat(route.backendUri(target.path(), target.rawQuery(), BACKEND)).isEqualTo("/43?q=%2e%2E");
    }

    @Test
    void refusesAPathItDoesNotMatch() {
        Route route = route("/api/users", true);
        assertThatThrownBy(() -> route.backendUri("/api/usersX", null, BACKEND))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void dropsOneTrailingSlashFromThePrefix() {
        assertThat(route("/api/users/", true).prefix()).isEqualTo("/api/users");
        assertThat(route("/", true).prefix()).isEqualTo("/");
    }

    @ParameterizedTest(name = "\"{0}\"")
    @ValueSource(strings = {"", "api", "/api//users", "/api/../users", "/api/./users", "/api/%7Eu", "/api?x",
        "/api/%2F", "/api users", "/api//"})
    void rejectsAPrefixThatIsNotANormalisedPath(String prefix) {
        assertThatThrownBy(() -> route(prefix, false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsARouteWithoutUpstream() {
        assertThatThrownBy(() -> Route.of(new RouteConfig("/a", List.of(), false, false, AuthMode.NONE, Duration.ofSeconds(1))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void exposesItsConfigAndTargets() {
        Route route = route("/api", false, "http://a:1", "http://b:2");
        assertThat(route.targets()).containsExactly(URI.create("http://a:1"), URI.create("http://b:2"));
        assertThat(route.config().prefix()).isEqualTo("/api");
    }
}
