package io.gatehouse.routing;

/**
 * A request target that Gatehouse refuses to route; the message is a short reason fit for the client's 400 body.
 * Carries no stack trace: it is thrown for bad client input, not for bugs, and must stay cheap.
 */
public final class InvalidTargetException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public InvalidTargetException(String reason) {
        super(reason, null, false, false);
    }
}
