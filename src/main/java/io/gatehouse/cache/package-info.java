/**
 * The response cache: an RFC 9111 shared cache in front of the backends. The decisions (what may be stored, how
 * long it is fresh, which stored response answers which request) are plain code over header values with an injected
 * clock; {@link io.gatehouse.cache.HttpCache} holds the entries in a Caffeine store weighed by bytes, bodies as heap
 * {@code byte[]} so that no Netty buffer is ever retained by the cache. The pipeline's cache filter and recorder
 * only adapt this to the request path.
 */
package io.gatehouse.cache;
