package io.gatehouse.pipeline;

import static io.gatehouse.testing.HttpFixtures.config;
import static io.gatehouse.testing.HttpFixtures.exchange;
import static io.gatehouse.testing.HttpFixtures.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.RuntimeConfig;
import io.gatehouse.exchange.Verdict;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import org.junit.jupiter.api.Test;

/** The declared-length half of the body limit; the streaming half is in {@code ExchangeHandlerTest}. */
class BodyLimitFilterTest {

    private static final RuntimeConfig CONFIG = config();

    private final BodyLimitFilter filter = new BodyLimitFilter(8);

    @Test
    void answers413ForADeclaredLengthOverTheLimit() {
        Exchange exchange = exchange(CONFIG, request(HttpMethod.POST, "/api/users", "Content-Length", "9"));

        Answer answer = filter.apply(exchange).answer();

        assertThat(answer.status()).isEqualTo(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE);
        assertThat(answer.json()).isEqualTo("{\"error\":\"Request body too large\"}");
        assertThat(answer.close()).isFalse();
        assertThat(answer.failure()).isEqualTo("declared body over the route's limit");
        assertThat(exchange.maxBody()).isZero();
    }

    @Test
    void letsADeclaredLengthUpToTheLimitProceedAndPutsTheLimitOnTheExchange() {
        Exchange exchange = exchange(CONFIG, request(HttpMethod.POST, "/api/users", "Content-Length", "8"));

        Verdict verdict = filter.apply(exchange);

        assertThat(verdict.proceeds()).isTrue();
        assertThat(exchange.maxBody()).isEqualTo(8);
    }

    @Test
    void letsAChunkedBodyProceedForTheExchangeHandlerToCountAsItStreams() {
        Exchange exchange = exchange(CONFIG, request(HttpMethod.POST, "/api/users", "Transfer-Encoding", "chunked"));

        assertThat(filter.apply(exchange).proceeds()).isTrue();
        assertThat(exchange.maxBody()).isEqualTo(8);
    }

    @Test
    void letsABodylessRequestProceed() {
        Exchange exchange = exchange(CONFIG, request(HttpMethod.GET, "/api/users"));

        assertThat(filter.apply(exchange).proceeds()).isTrue();
        assertThat(exchange.maxBody()).isEqualTo(8);
    }

    @Test
    void namesItsLimitInTheChainDescription() {
        assertThat(filter.name()).isEqualTo("body-limit(8)");
    }

    @Test
    void refusesALimitThatLimitsNothing() {
        assertThatThrownBy(() -> new BodyLimitFilter(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BodyLimitFilter(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void isOnlyInTheChainOfARouteThatHasALimit() {
        RuntimeConfig config = config("""
                routes:
                  - prefix: /limited
                    upstream: http://localhost:4001
                    auth: none
                    max_body: 1KiB
                  - prefix: /unlimited
                    upstream: http://localhost:4002
                    auth: none
                    max_body: 0
                """);

        assertThat(Filters.describe(config)).containsExactly(
                "/limited: framing -> cors-preflight -> health -> routing -> body-limit(1024) -> upstream -> proxy(http://localhost:4001)",
                "/unlimited: framing -> cors-preflight -> health -> routing -> upstream -> proxy(http://localhost:4002)");
    }
}
