package io.gatehouse.pipeline;

import io.gatehouse.auth.ApiClient;
import io.gatehouse.auth.ApiKeys;
import io.gatehouse.exchange.Answer;
import io.gatehouse.exchange.Exchange;
import io.gatehouse.exchange.Filter;
import io.gatehouse.exchange.Verdict;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;

import java.util.Iterator;

/**
 * API-key authentication, on routes with {@code auth: api_key} only: a missing, empty or ambiguous key is answered
 * 401, an unknown one 403, one with bytes no key has 400 and a close. On success the exchange has its client. The
 * key header is removed here, and again by the proxy on every route, so a backend never sees a key; keys are never
 * logged or echoed. Built once per snapshot, with its answers, so a request allocates none of them.
 */
final class ApiKeyFilter implements Filter {

    private final AsciiString header;
    private final ApiKeys keys;
    private final Verdict missing;
    private final Verdict ambiguous;
    private final Verdict malformed;
    private final Verdict unknown;

    ApiKeyFilter(String header, ApiKeys keys) {
        this.header = new AsciiString(header);
        this.keys = keys;
        this.missing = Verdict.answer(Answer.error(HttpResponseStatus.UNAUTHORIZED, "Missing " + header + " header"));
        this.ambiguous = Verdict.answer(Answer.error(HttpResponseStatus.UNAUTHORIZED,
                "More than one " + header + " value"));
        // Not a key anyone was given: bytes meant for some other parser. Refuse and end the connection.
        this.malformed = Verdict.answer(Answer.rejection(HttpResponseStatus.BAD_REQUEST,
                "Malformed " + header + " header"));
        this.unknown = Verdict.answer(Answer.error(HttpResponseStatus.FORBIDDEN, "Invalid API key"));
    }

    @Override
    public String name() {
        return "api-key";
    }

    @Override
    public Verdict apply(Exchange exchange) {
        HttpHeaders headers = exchange.requestHeaders();
        Iterator<String> values = headers.valueStringIterator(header);
        String first = values.hasNext() ? values.next() : null;
        boolean more = values.hasNext();
        if (first != null) {
            headers.remove(header);
        }
        // The reasons are gatehouse_auth_failures_total's fixed label values.
        if (first == null || first.isBlank()) {
            exchange.authFailure("missing");
            return missing;
        }
        String key = first.trim();
        if (more || key.indexOf(',') >= 0) {
            exchange.authFailure("ambiguous");
            return ambiguous;
        }
        if (!isVisibleAscii(key)) {
            exchange.authFailure("malformed");
            return malformed;
        }
        ApiClient client = keys.lookup(key);
        if (client == null) {
            exchange.authFailure("invalid");
            return unknown;
        }
        exchange.client(client);
        return Verdict.proceed();
    }

    private static boolean isVisibleAscii(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }
}
