/**
 * The operators' listener ({@code admin.port}): {@code /metrics} for Prometheus, {@code /ready} and {@code /live}
 * for orchestrators' probes, {@code /config} for the running config's identity. A listener of its own, on its own
 * event loop, never reachable from the client port. Its requests are small and aggregated; nothing here is on the
 * proxy path.
 */
package io.gatehouse.admin;
