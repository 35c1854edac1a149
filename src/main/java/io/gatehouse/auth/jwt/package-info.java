/**
 * Bearer-token authentication: {@link io.gatehouse.auth.jwt.JwtVerifier} checks a token of one provider against
 * an immutable key set (Nimbus JOSE+JWT does the parsing and the signature and claims checks), a
 * {@link io.gatehouse.auth.jwt.KeySource} holds that set — fixed from a file, or fetched and refreshed from the
 * provider's URL by {@link io.gatehouse.auth.jwt.RemoteKeySource} over Gatehouse's own non-blocking HTTP client —
 * and {@link io.gatehouse.auth.jwt.JwtProviders} keeps the fetched sets across config reloads. No Netty on the
 * request path here; the filter that uses it is in {@code pipeline}.
 */
package io.gatehouse.auth.jwt;
