package io.gatehouse;

import io.gatehouse.config.ConfigLoader;
import io.gatehouse.reload.ConfigReloader;
import io.gatehouse.reload.ReloadOutcome;
import io.gatehouse.server.GatehouseServer;
import io.gatehouse.testing.GatewayYaml;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code --check} accepts exactly the files a reload accepts, and refuses the others with the very lines a reload
 * logs and {@code /config} shows: both read, validate and compile through the same code. Each candidate is checked
 * with {@code --check}, then reloaded into a running gateway.
 */
class CheckIsTheReloadPathIT {

    @TempDir
    Path dir;

    private static String base(String... extra) {
        GatewayYaml yaml = GatewayYaml.loopback().server("watch_config: false");
        for (String block : extra) {
            yaml.block(block);
        }
        return yaml.openRoute("/open", "http://127.0.0.1:1").route("/keyed", "http://127.0.0.1:2").build();
    }

    private static Map<String, byte[]> candidates() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("another valid file", bytes(base("cors:\n  allow_origins: [\"https://app.example\"]\n")));
        files.put("valid, with policies", bytes(base("rate_limit:\n  policies:\n    burst: { limit: 5, window: 1s }\n")));
        files.put("a YAML syntax error", bytes(base() + "routes: [\n"));
        files.put("an unknown key", bytes(base().replace("upstream:", "upstreem:")));
        files.put("a value out of range", bytes(base().replace("port: 0", "port: 70000")));
        files.put("a route prefix without a slash", bytes(base().replace("prefix: /open", "prefix: open")));
        files.put("an unset environment variable", bytes(base().replace("127.0.0.1:1",
                "${GATEHOUSE_TEST_SURELY_UNSET}")));
        files.put("an unknown policy", bytes(base().replace("auth: none", "auth: none\n    rate_limit:\n"
                + "      policies: [nope]")));
        files.put("not UTF-8", new byte[]{'r', 'o', 'u', 't', 'e', 's', ':', ' ', (byte) 0xff, (byte) 0xfe, '\n'});
        files.put("an empty file", new byte[0]);
        return files;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void checkAndReloadAgreeOnEveryFile() throws Exception {
        Path file = dir.resolve("gateway.yaml");
        Files.writeString(file, base());
        try (GatehouseServer server = GatehouseServer.start(ConfigLoader.load(file))) {
            ConfigReloader reloader = server.reloadFrom(file);
            java.util.List<String> accepted = new java.util.ArrayList<>();
            for (Map.Entry<String, byte[]> candidate : candidates().entrySet()) {
                Files.write(file, candidate.getValue());

                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                int exit = Gatehouse.run(new String[]{"--check", "--config", file.toString()},
                        new PrintStream(out, true, StandardCharsets.UTF_8),
                        new PrintStream(err, true, StandardCharsets.UTF_8));
                ReloadOutcome outcome = reloader.request("test").get(30, TimeUnit.SECONDS);

                if (exit == Gatehouse.EXIT_OK) {
                    accepted.add(candidate.getKey());
                    assertThat(outcome.result()).as(candidate.getKey()).isEqualTo(ReloadOutcome.Result.SUCCESS);
                    assertThat(outcome.sha256()).isEqualTo(ConfigLoader.sha256(Files.readString(file)));
                } else {
                    assertThat(exit).as(candidate.getKey()).isEqualTo(Gatehouse.EXIT_CONFIG);
                    assertThat(outcome.result()).as(candidate.getKey()).isEqualTo(ReloadOutcome.Result.FAILURE);
                    assertThat(outcome.error()).as(candidate.getKey())
                            .isEqualTo(err.toString(StandardCharsets.UTF_8).stripTrailing());
                    assertThat(server.configStatus().lastError()).isEqualTo(outcome.error());
                }
            }
            assertThat(accepted).containsExactly("another valid file", "valid, with policies");
        }
    }
}
