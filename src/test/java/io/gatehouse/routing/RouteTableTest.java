package io.gatehouse.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.config.AuthMode;
import io.gatehouse.config.RouteConfig;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RouteTableTest {

    private static RouteConfig config(String prefix) {
        return new RouteConfig(prefix, List.of(URI.create("http://backend:8080")), false, false, AuthMode.API_KEY,
                Duration.ofSeconds(30));
    }

    private static RouteTable table(String... prefixes) {
        return RouteTable.of(Arrays.stream(prefixes).map(RouteTableTest::config).toList());
    }

    private static String matchedPrefix(RouteTable table, String path) {
        Route route = table.match(path);
        return route == null ? null : route.prefix();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/api/users", "/api/users/", "/api/users/42", "/api/users/42/orders/"})
    void matchesAPrefixOnWholeSegments(String path) {
        assertThat(matchedPrefix(table("/api/users"), path)).isEqualTo("/api/users");
    }

    @ParameterizedTest(name = "{0}")
    @DisplayName("R3: prefix /api/users does not match a longer segment")
    @ValueSource(strings = {"/api/usersX", "/api/users.", "/api/users~", "/api/user", "/api", "/", "/apix/users"})
    void doesNotMatchAcrossASegmentBoundary(String path) {
        assertThat(table("/api/users").match(path)).isNull();
    }

    @Test
    @DisplayName("R3: prefix /api/users does not match /api/users%2e/admin")
    void doesNotMatchAnEncodedDotAppendedToTheSegment() {
        String path = RequestTarget.parse("/api/users%2e/admin").path();
        assertThat(path).isEqualTo("/api/users./admin");
        assertThat(table("/api/users").match(path)).isNull();
    }

    @Test
    @DisplayName("R1: matches on the normalised path, not the raw one")
    void matchesOnTheNormalisedPath() {
        RouteTable table = table("/api/users", "/api/orders");
        for (String raw : new String[] {"/api/users/../orders/1", "/api/users/%2e%2e/orders/1", "//api/orders/1"}) {
            assertThat(matchedPrefix(table, RequestTarget.parse(raw).path())).as(raw).isEqualTo("/api/orders");
        }
        assertThat(matchedPrefix(table, RequestTarget.parse("/api/users/.%2E/x").path())).isNull();
    }

    @Test
    void prefersTheLongestPrefix() {
        RouteTable table = table("/api", "/api/users", "/");
        assertThat(matchedPrefix(table, "/api/users/42")).isEqualTo("/api/users");
        assertThat(matchedPrefix(table, "/api/users")).isEqualTo("/api/users");
        assertThat(matchedPrefix(table, "/api/usersX")).isEqualTo("/api");
        assertThat(matchedPrefix(table, "/api/orders/1")).isEqualTo("/api");
        assertThat(matchedPrefix(table, "/api")).isEqualTo("/api");
        assertThat(matchedPrefix(table, "/apix")).isEqualTo("/");
    }

    @Test
    void prefersTheLongestPrefixWhateverTheConfigOrder() {
        RouteTable table = table("/api/users", "/api");
        assertThat(matchedPrefix(table, "/api/users/42")).isEqualTo("/api/users");
        assertThat(matchedPrefix(table, "/api/other")).isEqualTo("/api");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/", "/a", "/api/users/42/", "/x/y/z"})
    void matchesEverythingWithTheRootPrefix(String path) {
        assertThat(matchedPrefix(table("/"), path)).isEqualTo("/");
    }

    @Test
    void returnsNullWhenNothingMatches() {
        assertThat(table("/a", "/b/c").match("/b")).isNull();
        assertThat(table().match("/a")).isNull();
    }

    @Test
    void listsTheRoutesInConfigOrder() {
        RouteTable table = table("/b", "/", "/a/x", "/a");
        assertThat(table.routes()).extracting(Route::prefix).containsExactly("/b", "/", "/a/x", "/a");
        assertThatThrownBy(() -> table.routes().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void rejectsTwoRoutesWithTheSamePrefix() {
        assertThatThrownBy(() -> table("/api", "/api/")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> table("/", "/")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void findsEveryRouteInATableOfOneThousand() {
        List<RouteConfig> configs = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            configs.add(config("/svc" + i + (i % 3 == 0 ? "/v" + i : "")));
        }
        RouteTable table = RouteTable.of(configs);
        for (int i = 0; i < 1000; i++) {
            String prefix = "/svc" + i + (i % 3 == 0 ? "/v" + i : "");
            assertThat(matchedPrefix(table, prefix + "/items/7")).isEqualTo(prefix);
            assertThat(table.match("/svc" + i + "x/v" + i)).isNull();
        }
    }

    @Test
    void distinguishesPrefixesWhoseHashesCollide() {
        // "Aa" and "BB" have the same String.hashCode().
        assertThat("/Aa".hashCode()).isEqualTo("/BB".hashCode());
        RouteTable table = table("/Aa", "/BB");
        assertThat(matchedPrefix(table, "/Aa/1")).isEqualTo("/Aa");
        assertThat(matchedPrefix(table, "/BB/1")).isEqualTo("/BB");
        assertThat(table("/Aa").match("/BB")).isNull();
    }

    @Test
    void agreesWithALinearScanOnRandomTables() {
        String[] segments = {"a", "b", "ab", "Aa", "BB"};
        Random random = new Random(42);
        for (int t = 0; t < 300; t++) {
            List<String> prefixes = new ArrayList<>();
            for (int i = random.nextInt(8); i > 0; i--) {
                String prefix = randomPath(random, segments).replaceAll("(.)/$", "$1");
                if (!prefixes.contains(prefix)) {
                    prefixes.add(prefix);
                }
            }
            RouteTable table = table(prefixes.toArray(String[]::new));
            for (int k = 0; k < 50; k++) {
                String path = randomPath(random, segments);
                Route expected = null;
                for (Route route : table.routes()) {
                    if (route.matches(path) && (expected == null || route.prefix().length() > expected.prefix().length())) {
                        expected = route;
                    }
                }
                assertThat(table.match(path)).as(prefixes + " " + path).isSameAs(expected);
            }
        }
    }

    private static String randomPath(Random random, String[] segments) {
        StringBuilder path = new StringBuilder();
        for (int i = random.nextInt(4); i > 0; i--) {
            path.append('/').append(segments[random.nextInt(segments.length)]);
        }
        return path.isEmpty() || random.nextInt(4) == 0 ? path.append('/').toString() : path.toString();
    }
}
