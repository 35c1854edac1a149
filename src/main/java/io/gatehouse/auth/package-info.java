/** API keys: the accepted keys, looked up by digest and compared in constant time, and the clients they name. */
package io.gatehouse.auth;
