package io.gatehouse.config;

import java.util.List;

import static org.assertj.core.api.Assertions.fail;

/** The problems a YAML document is refused with, for tests of the config's messages. */
final class ConfigProblems {

    private ConfigProblems() {
    }

    /** The {@code file:line:col: message (at /pointer)} lines for {@code yaml} read as {@code gateway.yaml}. */
    static List<String> of(String yaml) {
        try {
            ConfigLoader.parse(yaml, "gateway.yaml");
        } catch (ConfigException e) {
            return e.problems();
        }
        return fail("expected a ConfigException for:\n" + yaml);
    }
}
