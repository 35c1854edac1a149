package io.gatehouse.config;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Loads {@code gateway.yaml} into a {@link GatewayConfig}, or fails with every problem in the file, each as
 * {@code gateway.yaml:LINE:COL: message (at /json/pointer)}. Blocking file I/O: call it off the event loops.
 *
 * <p>Any scalar value may hold {@code ${NAME}} references to environment variables, replaced after the YAML is
 * parsed (so a variable can never add YAML structure) and before the value is checked; {@code $${} is a literal
 * {@code ${}. A reference to an unset variable is an error that names the variable, never a value.
 */
public final class ConfigLoader {

    private ConfigLoader() {
    }

    /** Reads and validates {@code file} with the process environment; messages start with {@code file.toString()}. */
    public static GatewayConfig load(Path file) throws ConfigException {
        return load(file, System.getenv());
    }

    /** Reads and validates {@code file}, taking {@code ${NAME}} references from {@code env}. */
    public static GatewayConfig load(Path file, Map<String, String> env) throws ConfigException {
        Objects.requireNonNull(env, "env");
        return parse(read(file), file.toString(), env);
    }

    /** The text of {@code file}, or a {@code file: cannot read: ...} problem; the first step of {@link #load}. */
    public static String read(Path file) throws ConfigException {
        String yaml;
        try {
            yaml = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw cannotRead(file, "no such file");
        } catch (AccessDeniedException e) {
            throw cannotRead(file, "permission denied");
        } catch (MalformedInputException e) {
            throw cannotRead(file, "not valid UTF-8");
        } catch (IOException e) {
            throw cannotRead(file, e.getMessage() == null ? "I/O error" : e.getMessage());
        }
        return yaml;
    }

    /**
     * Validates YAML text against the process environment; {@code sourceName} starts every message, as the file
     * name does for {@link #load}.
     */
    public static GatewayConfig parse(String yaml, String sourceName) throws ConfigException {
        return parse(yaml, sourceName, System.getenv());
    }

    /** Validates YAML text, taking {@code ${NAME}} references from {@code env} (tests pass their own map). */
    public static GatewayConfig parse(String yaml, String sourceName, Map<String, String> env)
            throws ConfigException {
        Objects.requireNonNull(yaml, "yaml");
        Objects.requireNonNull(sourceName, "sourceName");
        Objects.requireNonNull(env, "env");
        Problems problems = new Problems(sourceName);
        YamlNode root = YamlNode.read(yaml, env, problems);
        GatewayConfig config = root == null ? null : ConfigReader.read(root, problems);
        if (!problems.isEmpty()) {
            throw problems.toException();
        }
        return config.withOperations(config.operations().withSourceSha256(sha256(yaml)));
    }

    private static ConfigException cannotRead(Path file, String reason) {
        return new ConfigException(List.of(file + ": cannot read: " + reason));
    }

    /** Lower-case hex SHA-256 of {@code text} as UTF-8: the config's {@code sourceSha256}. */
    public static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
