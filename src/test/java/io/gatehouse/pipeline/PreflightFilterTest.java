package io.gatehouse.pipeline;

import static io.gatehouse.testing.HttpFixtures.ORIGIN;
import static io.gatehouse.testing.HttpFixtures.config;
import static io.gatehouse.testing.HttpFixtures.exchange;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.exchange.Verdict;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;

/**
 * The preflight's own part: 204 and {@code Access-Control-Max-Age}. The CORS headers every response gets are the
 * finisher's ({@code ResponseFinisherTest}); the discarding of the preflight's body is the exchange handler's.
 */
class PreflightFilterTest {

    private static final RuntimeConfig ONE_ORIGIN = config();
    private static final RuntimeConfig ANY_ORIGIN = config("""
            routes:
              - prefix: /api
                upstream: http://localhost:4001
            """);
    private static final RuntimeConfig NO_MAX_AGE = config("""
            cors:
              allow_origins: ["https://app.example.com"]
              max_age: 0s
            routes:
              - prefix: /api
                upstream: http://localhost:4001
            """);

    @Test
    void answersAPreflightFromAnAllowedOriginWith204AndTheMaxAge() {
        Answer answer = answerTo(ONE_ORIGIN, request(HttpMethod.OPTIONS, "/api/users", "Origin", ORIGIN,
                "Access-Control-Request-Method", "POST"));

        assertThat(answer.status()).isEqualTo(HttpResponseStatus.NO_CONTENT);
        assertThat(answer.json()).isNull();
        assertThat(answer.close()).isFalse();
        assertThat(answer.failure()).isNull();
        assertThat(answer.headers().get(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE)).isEqualTo("600");
        assertThat(answer.headers().contains(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN))
                .as("the finisher adds the CORS headers, as on every response").isFalse();
    }

    @Test
    void answersAPreflightFromAnOriginNotAllowedWith204AndNoMaxAge() {
        Answer answer = answerTo(ONE_ORIGIN, request(HttpMethod.OPTIONS, "/api/users", "Origin",
                "https://evil.example"));

        assertThat(answer.status()).isEqualTo(HttpResponseStatus.NO_CONTENT);
        assertThat(answer.headers()).isNull();
    }

    @Test
    void answersAnOptionsRequestWithoutOriginWith204AndNoMaxAge() {
        Answer answer = answerTo(ONE_ORIGIN, request(HttpMethod.OPTIONS, "/api/users"));

        assertThat(answer.status()).isEqualTo(HttpResponseStatus.NO_CONTENT);
        assertThat(answer.headers()).isNull();
    }

    @Test
    void answersAPreflightWithTheMaxAgeFromAnyOriginWhenAnyOriginIsAllowed() {
        Answer answer = answerTo(ANY_ORIGIN, request(HttpMethod.OPTIONS, "/api", "Origin", "https://any.example"));

        assertThat(answer.status()).isEqualTo(HttpResponseStatus.NO_CONTENT);
        assertThat(answer.headers().get(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE)).isEqualTo("600");
    }

    @Test
    void leavesTheMaxAgeOutWhenItIsZero() {
        Answer answer = answerTo(NO_MAX_AGE, request(HttpMethod.OPTIONS, "/api", "Origin", ORIGIN));

        assertThat(answer.status()).isEqualTo(HttpResponseStatus.NO_CONTENT);
        assertThat(answer.headers()).isNull();
    }

    @Test
    void letsEveryOtherMethodProceed() {
        for (HttpMethod method : new HttpMethod[] {HttpMethod.GET, HttpMethod.POST, HttpMethod.HEAD,
                HttpMethod.PUT, HttpMethod.DELETE}) {
            Verdict verdict = PreflightFilter.INSTANCE.apply(
                    exchange(ONE_ORIGIN, request(method, "/api/users", "Origin", ORIGIN)));

            assertThat(verdict.proceeds()).as("%s", method).isTrue();
        }
    }

    private static Answer answerTo(RuntimeConfig config, io.netty.handler.codec.http.HttpRequest request) {
        Verdict verdict = PreflightFilter.INSTANCE.apply(exchange(config, request));
        assertThat(verdict.answer()).as("%s", verdict).isNotNull();
        return verdict.answer();
    }
}
