package io.gatehouse.auth;

/**
 * An authenticated caller: by an API key, or by a JWT of a provider.
 *
 * @param name      sent to backends in {@code X-Client-Name} and written to the access log: a key's client name, or
 *                  a token's {@code client_claim} value
 * @param rateLimit its requests per window
 * @param limitKey  what the rate limiter counts it by: the key's client name, or provider and identity
 * @param policyKey whose rate-limit policies it has: the key's client name, or the provider's
 */
public record ApiClient(String name, long rateLimit, String limitKey, String policyKey) {

    /** The prefix of JWT clients' keys: {@code #} keeps them apart from API-key client names, which cannot hold it. */
    public static final String JWT_PREFIX = "#jwt:";

    /** A client of an API key. */
    public ApiClient(String name, long rateLimit) {
        this(name, rateLimit, name, name);
    }

    /** A client of the JWT provider {@code provider} identified as {@code identity}. */
    public static ApiClient jwt(String provider, String identity, long rateLimit) {
        return new ApiClient(identity, rateLimit, JWT_PREFIX + provider + ":" + identity, policyKey(provider));
    }

    /** The {@link #policyKey} of every client of {@code provider}. */
    public static String policyKey(String provider) {
        return JWT_PREFIX + provider;
    }

    /** The label in metrics: a key's client name, or {@code jwt:PROVIDER} (never a token's identity). */
    public String metricsLabel() {
        return policyKey.startsWith(JWT_PREFIX) ? policyKey.substring(1) : name;
    }
}
