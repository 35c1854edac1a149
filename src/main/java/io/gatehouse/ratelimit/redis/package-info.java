/**
 * The shared rate-limit store: the same sliding window as the local limiter, kept in Redis by one atomic Lua script
 * per request, so that several gateway instances enforce one limit per client. Built on Lettuce (itself on Netty).
 */
package io.gatehouse.ratelimit.redis;
