package io.gatehouse.config;

import java.util.List;

/**
 * A configuration that cannot be used. Every problem found is listed, one line each, in the form
 * {@code gateway.yaml:12:15: what is wrong (at /routes/1/upstream)}; the message is meant to be printed as it is.
 */
public final class ConfigException extends Exception {

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(String.join("\n", problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    /** One line per problem, in the order they appear in the file. */
    public List<String> problems() {
        return problems;
    }
}
