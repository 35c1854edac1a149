/**
 * Event loops, the listening socket, the one initializer that shows the client pipeline in order, per-connection
 * keep-alive and read pacing, and graceful shutdown.
 */
package io.gatehouse.server;
