/**
 * Hot reload of {@code gateway.yaml}: {@link io.gatehouse.reload.ConfigWatcher} sees the file change (through its
 * directory, so renames and symlink flips count), {@link io.gatehouse.reload.ConfigReloader} is the one config
 * thread that debounces, compares content hashes, coalesces triggers (file change, SIGHUP, {@code POST /reload}) and
 * reads, validates and hands a finished config to the server, which compiles and publishes it. Plain Java: no Netty.
 */
package io.gatehouse.reload;
