package io.gatehouse.pipeline;

import io.gatehouse.config.RouteAccessConfig;
import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.Filter;
import io.gatehouse.exchange.Verdict;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.net.InetAddress;

/**
 * A route's {@code allow_ips} and {@code deny_ips}, first in its chain, before authentication: the client IP
 * ({@link Exchange#clientIp()}, which honours {@code trusted_proxies}) in a denied range, or outside the allowed
 * ones when there are any, is answered 403. Deny wins. A client whose IP cannot be told is refused too: a rule that
 * an unreadable {@code X-Forwarded-For} could step around would protect nothing.
 */
final class IpRulesFilter implements Filter {

    private static final Verdict FORBIDDEN = Verdict.answer(Answer.error(HttpResponseStatus.FORBIDDEN, "Forbidden"));

    private final RouteAccessConfig rules;

    IpRulesFilter(RouteAccessConfig rules) {
        this.rules = rules;
    }

    @Override
    public String name() {
        return "ip-rules";
    }

    @Override
    public Verdict apply(Exchange exchange) {
        InetAddress client = exchange.clientIp();
        if (client == null || rules.denyIps().contains(client)
                || !rules.allowIps().isEmpty() && !rules.allowIps().contains(client)) {
            exchange.authFailure("ip_forbidden");
            return FORBIDDEN;
        }
        return Verdict.proceed();
    }
}
