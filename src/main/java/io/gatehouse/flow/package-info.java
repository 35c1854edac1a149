/**
 * Read pacing shared by both sides of the proxy: one decoded message per {@code read()} on a channel with autoRead
 * off, so that "read the next message when the last one can be written" is exact on the client and backend
 * connections alike.
 */
package io.gatehouse.flow;
