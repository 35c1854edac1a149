package io.gatehouse.exchange;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.Objects;

/**
 * A response the gateway makes itself, as a filter describes it: a status, a JSON body (or none), headers of the
 * filter's own concern (a 429's {@code Retry-After}, a preflight's {@code Access-Control-Max-Age}), and whether the
 * connection must close after it. It is turned into bytes by {@link GatewayResponses} and decorated on its way out
 * by the one finisher that decorates every response (request ID, CORS, rate-limit headers, access log), so a new
 * kind of answer needs nothing more than this.
 *
 * @param status  the status
 * @param json    the body, a JSON document; null for no body
 * @param close   close the connection after the response: the request could not be read safely
 * @param failure why the request was refused, for the access log; null for an ordinary answer
 * @param headers extra headers; null for none
 * @param body    a body that is not JSON (a stored response's), with its own headers; null for none
 */
public record Answer(HttpResponseStatus status, String json, boolean close, String failure, HttpHeaders headers,
                     byte[] body) {

    public Answer {
        Objects.requireNonNull(status, "status");
    }

    public Answer(HttpResponseStatus status, String json, boolean close, String failure, HttpHeaders headers) {
        this(status, json, close, failure, headers, null);
    }

    /**
     * A response the gateway kept (a cached one): its status, its headers and its body as stored. The array is
     * wrapped, not copied, and never written to.
     */
    public static Answer stored(HttpResponseStatus status, HttpHeaders headers, byte[] body) {
        return new Answer(status, null, false, null, headers, body);
    }

    /** {@code {"error": message}}. */
    public static Answer error(HttpResponseStatus status, String message) {
        return new Answer(status, errorJson(message), false, null, null);
    }

    /**
     * A request that must not be answered on a connection that stays open (ambiguous framing, a target or key
     * that two parsers could read two ways): the error, {@code Connection: close}, and the reason in the access log.
     */
    public static Answer rejection(HttpResponseStatus status, String message) {
        return new Answer(status, errorJson(message), true, "rejected: " + message, null);
    }

    public static Answer json(HttpResponseStatus status, String json) {
        return new Answer(status, json, false, null, null);
    }

    /** No body, e.g. 204 to a preflight. */
    public static Answer empty(HttpResponseStatus status) {
        return new Answer(status, null, false, null, null);
    }

    /** This answer with one more header. */
    public Answer withHeader(CharSequence name, Object value) {
        HttpHeaders extra = new DefaultHttpHeaders();
        if (headers != null) {
            extra.add(headers);
        }
        extra.set(name, value);
        return new Answer(status, json, close, failure, extra, body);
    }

    /** This answer with the reason the access log gives for it. */
    public Answer withFailure(String reason) {
        return new Answer(status, json, close, reason, headers, body);
    }

    static String errorJson(String message) {
        return "{\"error\":" + Json.quote(message) + "}";
    }
}
