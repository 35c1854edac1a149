/**
 * CORS: the policy compiled from {@code cors} in the config — which headers a response gets for a request's Origin.
 * No Netty pipeline code: the preflight filter and the response finisher use it.
 */
package io.gatehouse.cors;
