package io.gatehouse.pipeline;

import static io.gatehouse.testing.HttpFixtures.CLIENT;
import static io.gatehouse.testing.HttpFixtures.KEY;
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

/**
 * The key check on a keyed route. {@code X-Client-Name} (set from the client found here, and removed when a client
 * sent it) and the removal of the key header on open routes are the backend request's business, in
 * {@code BackendCall}; {@code AuthCasesIT} covers them end to end.
 */
class ApiKeyFilterTest {

    private static final RuntimeConfig CONFIG = config();
    private static final RuntimeConfig OTHER_HEADER = config("""
            auth:
              header: Authorization-Key
              keys:
                - key: key_live_abc123
                  name: mobile-app
                  rate_limit: 100
            routes:
              - prefix: /api
                upstream: http://localhost:4001
            """);

    private final ApiKeyFilter filter = new ApiKeyFilter("X-API-Key", CONFIG.apiKeys());

    @Test
    void findsTheClientOfAKnownKeyAndRemovesTheKeyFromTheRequest() {
        HttpRequest request = request(HttpMethod.POST, "/api/users/42", "X-API-Key", KEY, "Content-Length", "4");
        Exchange exchange = exchange(CONFIG, request);

        Verdict verdict = filter.apply(exchange);

        assertThat(verdict.proceeds()).isTrue();
        assertThat(exchange.client().name()).isEqualTo(CLIENT);
        assertThat(exchange.client().rateLimit()).isEqualTo(100);
        assertThat(request.headers().contains("X-API-Key")).isFalse();
        assertThat(request.headers().get("Content-Length")).isEqualTo("4");
    }

    @Test
    void acceptsTheKeyHeaderWhateverItsNameCase() {
        HttpRequest request = request(HttpMethod.GET, "/api/users", "x-api-key", KEY);
        Exchange exchange = exchange(CONFIG, request);

        assertThat(filter.apply(exchange).proceeds()).isTrue();
        assertThat(exchange.client().name()).isEqualTo(CLIENT);
        assertThat(request.headers().contains("X-API-Key")).isFalse();
    }

    @Test
    void readsTheKeyFromTheConfiguredHeader() {
        ApiKeyFilter other = new ApiKeyFilter("Authorization-Key", OTHER_HEADER.apiKeys());
        HttpRequest request = request(HttpMethod.GET, "/api", "Authorization-Key", KEY, "X-API-Key", "ignored");
        Exchange exchange = exchange(OTHER_HEADER, request);

        assertThat(other.apply(exchange).proceeds()).isTrue();
        assertThat(exchange.client().name()).isEqualTo(CLIENT);
        assertThat(request.headers().contains("Authorization-Key")).isFalse();
    }

    @Test
    void rejectsAMissingKeyWith401() {
        assertRejected(request(HttpMethod.POST, "/api/users", "Content-Length", "4"),
                HttpResponseStatus.UNAUTHORIZED, "Missing X-API-Key header", false);
    }

    @Test
    void rejectsAnEmptyKeyAsMissing() {
        assertRejected(request(HttpMethod.GET, "/api/users", "X-API-Key", ""),
                HttpResponseStatus.UNAUTHORIZED, "Missing X-API-Key header", false);
    }

    @Test
    void rejectsAnUnknownKeyWith403() {
        assertRejected(request(HttpMethod.POST, "/api/users", "X-API-Key", "key_live_wrong"),
                HttpResponseStatus.FORBIDDEN, "Invalid API key", false);
    }

    @Test
    void rejectsTwoKeyHeadersWith401EvenWhenBothAreValid() {
        assertRejected(request(HttpMethod.GET, "/api/users", "X-API-Key", KEY, "X-API-Key", KEY),
                HttpResponseStatus.UNAUTHORIZED, "More than one X-API-Key value", false);
    }

    @Test
    void rejectsAKeyListInOneHeaderWith401() {
        assertRejected(request(HttpMethod.GET, "/api/users", "X-API-Key", KEY + ", other"),
                HttpResponseStatus.UNAUTHORIZED, "More than one X-API-Key value", false);
    }

    @Test
    void rejectsAKeyWithUnprintableCharactersWith400AndAClose() {
        assertRejected(request(HttpMethod.GET, "/api/users", "X-API-Key", "key_live_é"),
                HttpResponseStatus.BAD_REQUEST, "Malformed X-API-Key header", true);
    }

    @Test
    void endsTheConnectionAfterAKeyWithATabAndRecordsWhy() {
        Answer answer = assertRejected(request(HttpMethod.GET, "/api/users", "X-API-Key", "key\tlive"),
                HttpResponseStatus.BAD_REQUEST, "Malformed X-API-Key header", true);

        assertThat(answer.failure()).isEqualTo("rejected: Malformed X-API-Key header");
    }

    @Test
    void neverEchoesTheKeyInAnAnswer() {
        Answer answer = assertRejected(request(HttpMethod.GET, "/api/users", "X-API-Key", "key_live_guess"),
                HttpResponseStatus.FORBIDDEN, "Invalid API key", false);

        assertThat(answer.json()).doesNotContain("key_live_guess");
        assertThat(answer.failure()).isNull();
    }

    /** Asserts the answer, that no client was found, and that the key never stays on the request. */
    private Answer assertRejected(HttpRequest request, HttpResponseStatus status, String message, boolean close) {
        Exchange exchange = exchange(CONFIG, request);

        Verdict verdict = filter.apply(exchange);

        Answer answer = verdict.answer();
        assertThat(answer).as("%s", verdict).isNotNull();
        assertThat(answer.status()).isEqualTo(status);
        assertThat(answer.json()).isEqualTo("{\"error\":\"" + message + "\"}");
        assertThat(answer.close()).isEqualTo(close);
        assertThat(exchange.client()).isNull();
        assertThat(request.headers().contains("X-API-Key")).isFalse();
        return answer;
    }
}
