package io.gatehouse.pipeline;

import io.gatehouse.cors.CorsPolicy;
import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.Filter;
import io.gatehouse.exchange.Verdict;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * CORS preflight: an {@code OPTIONS} request is answered 204 by the gateway, before authentication, and never
 * forwarded. The CORS headers themselves are added by the finisher, as on every response; this filter adds only
 * {@code Access-Control-Max-Age}, which belongs to preflights.
 */
final class PreflightFilter implements Filter {

    static final PreflightFilter INSTANCE = new PreflightFilter();

    private static final Answer NO_CONTENT = Answer.empty(HttpResponseStatus.NO_CONTENT);

    private PreflightFilter() {
    }

    @Override
    public String name() {
        return "cors-preflight";
    }

    @Override
    public Verdict apply(Exchange exchange) {
        if (!HttpMethod.OPTIONS.equals(exchange.method())) {
            return Verdict.proceed();
        }
        CorsPolicy policy = exchange.config().cors();
        if (policy.headersFor(exchange.origin()) != null && policy.maxAgeSeconds() > 0) {
            return Verdict.answer(NO_CONTENT.withHeader(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE,
                    policy.maxAgeSeconds()));
        }
        return Verdict.answer(NO_CONTENT);
    }
}
