package io.gatehouse.pipeline;

import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.Filter;
import io.gatehouse.exchange.Verdict;
import io.gatehouse.upstream.Endpoint;
import io.gatehouse.upstream.Upstream;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The last filter of every route: the balancer picks the target for the first attempt. When no target can take
 * the request — every one unhealthy, its breaker open, or at {@code max_requests} — the client gets 503 at once
 * with a {@code Retry-After}, and no connection is attempted: a backend that is down is not hammered.
 */
final class UpstreamFilter implements Filter {

    private static final String UNAVAILABLE = "Service unavailable";

    private final Upstream upstream;
    private final String name;

    UpstreamFilter(Upstream upstream) {
        this.upstream = upstream;
        this.name = upstream.config().inline() ? "upstream" : "upstream(" + upstream.name() + ")";
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Verdict apply(Exchange exchange) {
        long now = upstream.now();
        Endpoint endpoint = upstream.choose(null, now);
        if (endpoint == null) {
            return Verdict.answer(Answer.error(HttpResponseStatus.SERVICE_UNAVAILABLE, UNAVAILABLE)
                    .withHeader(HttpHeaderNames.RETRY_AFTER, upstream.retryAfterSeconds(now))
                    .withFailure("no target of upstream " + upstream.name() + " available"));
        }
        exchange.upstream(upstream, endpoint);
        return Verdict.proceed();
    }
}
