package io.gatehouse.testing;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One {@code GET /metrics} from a gateway's admin port, parsed from the Prometheus text format into samples, for
 * asserting exact counts. A small parser for the test's own labels (no escaped quotes); the real format is checked
 * by {@code promtool} and by a real Prometheus in {@code PrometheusIT}.
 */
public final class Scrape {

    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;
    private final String text;

    private Scrape(String text) {
        this.text = text;
        this.samples = parse(text);
    }

    public static Scrape of(int adminPort) {
        try (RawHttpClient client = new RawHttpClient(adminPort)) {
            client.send("GET /metrics HTTP/1.1\r\nHost: admin\r\n\r\n");
            RawHttpClient.Response response = client.read();
            if (response.status() != 200) {
                throw new AssertionError("/metrics answered " + response.status());
            }
            return new Scrape(response.bodyText());
        } catch (IOException e) {
            throw new AssertionError("cannot scrape port " + adminPort, e);
        }
    }

    public String text() {
        return text;
    }

    public List<Sample> samples() {
        return samples;
    }

    /**
     * The value of the one sample named {@code name} whose labels include {@code labels} (pairs: name, value);
     * 0 when there is none.
     */
    public double value(String name, String... labels) {
        double found = 0;
        int matches = 0;
        for (Sample sample : samples) {
            if (sample.name().equals(name) && has(sample, labels)) {
                found = sample.value();
                matches++;
            }
        }
        if (matches > 1) {
            throw new AssertionError(matches + " samples of " + name + " match " + List.of(labels));
        }
        return found;
    }

    /** Whether any sample of {@code name} has all of {@code labels}. */
    public boolean has(String name, String... labels) {
        return samples.stream().anyMatch(s -> s.name().equals(name) && has(s, labels));
    }

    /** Every series (name and labels, not values) of the families starting with {@code prefix}. */
    public Set<String> series(String prefix) {
        Set<String> out = new TreeSet<>();
        for (Sample sample : samples) {
            if (sample.name().startsWith(prefix)) {
                out.add(sample.name() + sample.labels());
            }
        }
        return out;
    }

    private static boolean has(Sample sample, String... labels) {
        for (int i = 0; i < labels.length; i += 2) {
            if (!labels[i + 1].equals(sample.labels().get(labels[i]))) {
                return false;
            }
        }
        return true;
    }

    private static List<Sample> parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            String name;
            Map<String, String> labels = new LinkedHashMap<>();
            if (brace >= 0 && brace < space) {
                name = line.substring(0, brace);
                String body = line.substring(brace + 1, line.lastIndexOf('}'));
                for (String pair : body.split("\",")) {
                    if (pair.isEmpty()) {
                        continue;
                    }
                    int eq = pair.indexOf('=');
                    String value = pair.substring(eq + 2);
                    if (value.endsWith("\"")) {
                        value = value.substring(0, value.length() - 1);
                    }
                    labels.put(pair.substring(0, eq), value);
                }
            } else {
                name = line.substring(0, line.indexOf(' '));
            }
            String value = line.substring(space + 1);
            out.add(new Sample(name, labels, value.equals("+Inf") ? Double.POSITIVE_INFINITY
                    : Double.parseDouble(value)));
        }
        return out;
    }
}
