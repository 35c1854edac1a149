/**
 * The request path's vocabulary, below the server, the filters and the proxy, which all depend on it and never on
 * each other's internals: the {@link io.gatehouse.exchange.Exchange} (one request and its response), the
 * {@link io.gatehouse.exchange.Filter} contract and its {@link io.gatehouse.exchange.Verdict}, the gateway's own
 * {@link io.gatehouse.exchange.Answer}s, and the compiled config snapshot with its filter chains.
 */
package io.gatehouse.exchange;
