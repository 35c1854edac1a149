package io.gatehouse.pipeline;

import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.Filter;
import io.gatehouse.exchange.Json;
import io.gatehouse.exchange.Verdict;
import io.gatehouse.routing.Route;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Answers {@code GET /health} (and HEAD) without a key: {@code {"status":"ok","routes":[...]}}. Before routing and
 * authentication.
 */
final class HealthFilter implements Filter {

    static final HealthFilter INSTANCE = new HealthFilter();

    private static final String PATH = "/health";

    private HealthFilter() {
    }

    @Override
    public String name() {
        return "health";
    }

    @Override
    public Verdict apply(Exchange exchange) {
        if (!isHealthCheck(exchange)) {
            return Verdict.proceed();
        }
        exchange.target(PATH, null);
        return Verdict.answer(Answer.json(HttpResponseStatus.OK, body(exchange)));
    }

    private static boolean isHealthCheck(Exchange exchange) {
        HttpMethod method = exchange.method();
        if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
            return false;
        }
        String uri = exchange.rawUri();
        return uri.startsWith(PATH) && (uri.length() == PATH.length() || uri.charAt(PATH.length()) == '?');
    }

    private static String body(Exchange exchange) {
        StringBuilder json = new StringBuilder("{\"status\":\"ok\",\"routes\":[");
        boolean first = true;
        for (Route route : exchange.config().routes().routes()) {
            if (!first) {
                json.append(',');
            }
            json.append(Json.quote(route.prefix()));
            first = false;
        }
        return json.append("]}").toString();
    }
}
