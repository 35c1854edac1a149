package io.gatehouse.auth;

/** An authenticated caller: the name sent to backends in {@code X-Client-Name} and its requests per window. */
public record ApiClient(String name, long rateLimit) {
}
