package io.gatehouse.pipeline;

import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.Filter;
import io.gatehouse.exchange.Verdict;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The route's request body limit ({@code routes[].max_body}), on routes that have one. A declared Content-Length
 * over it is answered 413 before anything is forwarded; otherwise the limit goes on the exchange, and the exchange
 * handler stops a chunked body that grows past it while streaming (the backend request is dropped, the client
 * gets 413, or a close once the response has begun).
 */
final class BodyLimitFilter implements Filter {

    static final String MESSAGE = "Request body too large";

    private static final Verdict TOO_LARGE = Verdict.answer(
            Answer.error(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, MESSAGE)
                    .withFailure("declared body over the route's limit"));

    private final long limit;

    BodyLimitFilter(long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        this.limit = limit;
    }

    @Override
    public String name() {
        return "body-limit(" + limit + ")";
    }

    @Override
    public Verdict apply(Exchange exchange) {
        long declared = exchange.declaredLength();
        if (declared != Long.MAX_VALUE && declared > limit) {
            return TOO_LARGE;
        }
        exchange.maxBody(limit);
        return Verdict.proceed();
    }
}
