package io.gatehouse.pipeline;

import static io.gatehouse.testing.HttpFixtures.config;
import static io.gatehouse.testing.HttpFixtures.exchange;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.exchange.Verdict;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;

class RoutingFilterTest {

    private static final RuntimeConfig CONFIG = config();

    @Test
    void picksTheRouteForTheNormalisedPathAndLeavesTheRequestTargetAlone() {
        HttpRequest request = request(HttpMethod.POST, "/api/users/./42/?x=1&y=%2F", "Content-Length", "2");
        Exchange exchange = exchange(CONFIG, request);

        Verdict verdict = RoutingFilter.INSTANCE.apply(exchange);

        assertThat(verdict.proceeds()).isTrue();
        assertThat(request.uri()).isEqualTo("/api/users/./42/?x=1&y=%2F");
        assertThat(exchange.route().prefix()).isEqualTo("/api/users");
        assertThat(exchange.path()).isEqualTo("/api/users/42/");
        assertThat(exchange.rawQuery()).isEqualTo("x=1&y=%2F");
    }

    @Test
    void judgesADotDotPathByTheRouteItLandsOn() {
        Exchange exchange = exchange(CONFIG, request(HttpMethod.GET, "/api/users/../../open/1"));

        assertThat(RoutingFilter.INSTANCE.apply(exchange).proceeds()).isTrue();
        assertThat(exchange.route().prefix()).isEqualTo("/open");
        assertThat(exchange.path()).isEqualTo("/open/1");
    }

    @Test
    void answers404WhenNoRouteMatchesAndKeepsTheNormalisedPath() {
        Exchange exchange = exchange(CONFIG, request(HttpMethod.POST, "/api/usersX", "Content-Length", "4"));

        Answer answer = RoutingFilter.INSTANCE.apply(exchange).answer();

        assertThat(answer.status()).isEqualTo(HttpResponseStatus.NOT_FOUND);
        assertThat(answer.json()).isEqualTo("{\"error\":\"Route not found\"}");
        assertThat(answer.close()).isFalse();
        assertThat(answer.failure()).isNull();
        assertThat(exchange.route()).isNull();
        assertThat(exchange.path()).isEqualTo("/api/usersX");
    }

    @Test
    void refusesATargetThatCannotBeNormalisedWithACloseAndRecordsWhy() {
        Exchange exchange = exchange(CONFIG, request(HttpMethod.POST, "/api/users/a%2Fb", "Content-Length", "4"));

        Answer answer = RoutingFilter.INSTANCE.apply(exchange).answer();

        assertThat(answer.status()).isEqualTo(HttpResponseStatus.BAD_REQUEST);
        assertThat(answer.json()).isEqualTo("{\"error\":\"encoded slash in path\"}");
        assertThat(answer.close()).isTrue();
        assertThat(answer.failure()).isEqualTo("rejected: encoded slash in path");
        assertThat(exchange.path()).isNull();
        assertThat(exchange.route()).isNull();
    }

    @Test
    void refusesAnAbsoluteFormTarget() {
        Answer answer = RoutingFilter.INSTANCE.apply(
                exchange(CONFIG, request(HttpMethod.GET, "http://evil.example/api/users"))).answer();

        assertThat(answer.status()).isEqualTo(HttpResponseStatus.BAD_REQUEST);
        assertThat(answer.json()).isEqualTo("{\"error\":\"request target must be a path\"}");
        assertThat(answer.close()).isTrue();
    }

    @Test
    void routesEachRequestOnItsOwnAfterA404() {
        assertThat(RoutingFilter.INSTANCE.apply(exchange(CONFIG, request(HttpMethod.GET, "/nowhere"))).answer())
                .isNotNull();

        Exchange next = exchange(CONFIG, request(HttpMethod.GET, "/api/users"));

        assertThat(RoutingFilter.INSTANCE.apply(next).proceeds()).isTrue();
        assertThat(next.route().prefix()).isEqualTo("/api/users");
    }
}
