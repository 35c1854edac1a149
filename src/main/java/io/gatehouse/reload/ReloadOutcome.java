package io.gatehouse.reload;

/**
 * What one reload did, as the trigger that asked for it sees it.
 *
 * @param result     {@link Result#SUCCESS}: a new config runs; {@link Result#UNCHANGED}: the file has the content
 *                   of the running config, nothing was done; {@link Result#FAILURE}: refused, the running config
 *                   stays
 * @param generation the running config's generation afterwards
 * @param sha256     the SHA-256 of the running config's text afterwards; null if it was not read from text
 * @param error      why the reload was refused (the loader's {@code file:line:col} lines); null unless FAILURE
 */
public record ReloadOutcome(Result result, long generation, String sha256, String error) {

    public enum Result {
        SUCCESS, UNCHANGED, FAILURE;

        /** As metrics and the admin listener name it: {@code success}, {@code unchanged}, {@code failure}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
