package io.gatehouse.config;

/**
 * How a route authenticates: an API key ({@code auth: api_key}, the default), a bearer JWT ({@code jwt}), either
 * ({@code api_key_or_jwt}: the key when its header is present), or not at all ({@code none}).
 */
public enum AuthMode {
    API_KEY,
    NONE,
    JWT,
    API_KEY_OR_JWT;

    /** Whether requests on such a route have an authenticated client. */
    public boolean authenticates() {
        return this != NONE;
    }

    public boolean acceptsJwt() {
        return this == JWT || this == API_KEY_OR_JWT;
    }

    public boolean acceptsApiKey() {
        return this == API_KEY || this == API_KEY_OR_JWT;
    }
}
