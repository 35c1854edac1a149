package io.gatehouse.pipeline;

import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.Filter;
import io.gatehouse.exchange.Verdict;
import io.gatehouse.routing.InvalidTargetException;
import io.gatehouse.routing.RequestTarget;
import io.gatehouse.routing.Route;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Last of the filters every request runs: normalises the target and picks the route by longest prefix, before any
 * policy, so that {@code /api/users/../orders/1} is judged by the orders route's policy. The route's own chain
 * runs next. A target that cannot be normalised safely is refused 400 (and the connection closed); no match is 404.
 * A WebSocket upgrade the route does not take, or a malformed one, is 400 ({@link WebSocketUpgrades}).
 */
final class RoutingFilter implements Filter {

    static final RoutingFilter INSTANCE = new RoutingFilter();

    private static final Verdict NOT_FOUND =
            Verdict.answer(Answer.error(HttpResponseStatus.NOT_FOUND, "Route not found"));

    private RoutingFilter() {
    }

    @Override
    public String name() {
        return "routing";
    }

    @Override
    public Verdict apply(Exchange exchange) {
        RequestTarget target;
        try {
            target = RequestTarget.parse(exchange.rawUri());
        } catch (InvalidTargetException e) {
            // A target that could be read two ways is an attack more often than a typo: refuse it and close, as
            // for any other ambiguous request (the log says why).
            return Verdict.answer(Answer.rejection(HttpResponseStatus.BAD_REQUEST, e.getMessage()));
        }
        exchange.target(target.path(), target.rawQuery());
        Route route = exchange.config().routes().match(target.path());
        if (route == null) {
            return NOT_FOUND;
        }
        exchange.route(route);
        if (exchange.websocketUpgrade()) {
            // Refused before any policy: no key is checked and no token counted for a request that goes nowhere.
            Answer problem = WebSocketUpgrades.problem(exchange, route.config().websocket());
            if (problem != null) {
                return Verdict.answer(problem);
            }
        }
        return Verdict.proceed();
    }
}
