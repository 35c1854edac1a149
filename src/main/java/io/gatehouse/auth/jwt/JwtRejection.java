package io.gatehouse.auth.jwt;

/**
 * Why a bearer token was refused: a short description for {@code error_description} (it never repeats anything
 * from the token) and a fixed label for {@code gatehouse_auth_failures_total}.
 */
public enum JwtRejection {
    EXPIRED("expired"),
    NOT_YET_VALID("not yet valid"),
    BAD_SIGNATURE("bad signature"),
    UNKNOWN_KEY("unknown key"),
    WRONG_ISSUER("wrong issuer"),
    WRONG_AUDIENCE("wrong audience"),
    ALGORITHM_NOT_ALLOWED("algorithm not allowed"),
    MALFORMED("malformed"),
    TOO_LARGE("token too large"),
    MISSING_CLAIM("missing required claim"),
    INVALID_CLIENT_CLAIM("invalid client claim");

    private final String description;

    JwtRejection(String description) {
        this.description = description;
    }

    /** For {@code error_description}: a few words, safe to show anyone. */
    public String description() {
        return description;
    }

    /** For metrics and the access log: {@code jwt_expired}, {@code jwt_bad_signature}, ... */
    public String label() {
        return "jwt_" + name().toLowerCase(java.util.Locale.ROOT);
    }
}
