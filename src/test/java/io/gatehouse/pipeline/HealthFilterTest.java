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

class HealthFilterTest {

    private static final RuntimeConfig CONFIG = config();
    private static final String HEALTHY = "{\"status\":\"ok\",\"routes\":[\"/api/users\",\"/open\"]}";

    @Test
    void answersGetHealthWith200AndTheRoutesWithoutAKey() {
        Exchange exchange = exchange(CONFIG, request(HttpMethod.GET, "/health"));

        Answer answer = HealthFilter.INSTANCE.apply(exchange).answer();

        assertThat(answer.status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(answer.json()).isEqualTo(HEALTHY);
        assertThat(answer.close()).isFalse();
        assertThat(answer.failure()).isNull();
        assertThat(exchange.path()).isEqualTo("/health");
        assertThat(exchange.rawQuery()).isNull();
        assertThat(exchange.client()).isNull();
    }

    @Test
    void answersHealthWithAQueryStringAndLeavesTheQueryOutOfThePath() {
        Exchange exchange = exchange(CONFIG, request(HttpMethod.GET, "/health?probe=1"));

        Answer answer = HealthFilter.INSTANCE.apply(exchange).answer();

        assertThat(answer.status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(answer.json()).isEqualTo(HEALTHY);
        assertThat(exchange.path()).isEqualTo("/health");
    }

    @Test
    void answersHeadHealthWithTheSameBodyForItsLength() {
        Answer answer = HealthFilter.INSTANCE.apply(exchange(CONFIG, request(HttpMethod.HEAD, "/health"))).answer();

        assertThat(answer.status()).isEqualTo(HttpResponseStatus.OK);
        assertThat(answer.json()).as("GatewayResponses leaves a HEAD's body out and keeps its length")
                .isEqualTo(HEALTHY);
    }

    @Test
    void listsTheRoutesOfTheRequestsOwnSnapshot() {
        RuntimeConfig other = config("""
                routes:
                  - prefix: /only
                    upstream: http://localhost:4001
                """);

        Answer answer = HealthFilter.INSTANCE.apply(exchange(other, request(HttpMethod.GET, "/health"))).answer();

        assertThat(answer.json()).isEqualTo("{\"status\":\"ok\",\"routes\":[\"/only\"]}");
    }

    @Test
    void letsOtherPathsAndMethodsProceedUntouched() {
        for (HttpRequest request : new HttpRequest[] {
                request(HttpMethod.GET, "/healthz"),
                request(HttpMethod.GET, "/health/x"),
                request(HttpMethod.POST, "/health"),
                request(HttpMethod.GET, "/api/users")}) {
            Exchange exchange = exchange(CONFIG, request);

            Verdict verdict = HealthFilter.INSTANCE.apply(exchange);

            assertThat(verdict.proceeds()).as("%s %s", request.method(), request.uri()).isTrue();
            assertThat(exchange.path()).isNull();
        }
    }
}
