package io.gatehouse.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Collects what is wrong with one config file, each at a line, column and JSON pointer, to report all at once. */
final class Problems {

    private record Problem(int line, int column, String pointer, String message) {
    }

    private final String source;
    private final List<Problem> problems = new ArrayList<>();

    Problems(String source) {
        this.source = source;
    }

    /** A problem with a node's value. */
    void at(YamlNode node, String message) {
        add(node.line(), node.column(), node.pointer(), message);
    }

    /** A problem with the key that introduces a node: unknown or duplicate keys. */
    void atKey(YamlNode node, String pointer, String message) {
        add(node.keyLine(), node.keyColumn(), pointer, message);
    }

    void add(int line, int column, String pointer, String message) {
        problems.add(new Problem(line, column, pointer, message));
    }

    boolean isEmpty() {
        return problems.isEmpty();
    }

    /** The problems in file order: {@code source:line:col: message (at /pointer)}; no pointer for the whole file. */
    ConfigException toException() {
        List<String> lines = problems.stream()
                .sorted(Comparator.comparingInt(Problem::line).thenComparingInt(Problem::column))
                .map(p -> source + ":" + p.line() + ":" + p.column() + ": " + p.message()
                        + (p.pointer().isEmpty() ? "" : " (at " + p.pointer() + ")"))
                .toList();
        return new ConfigException(lines);
    }
}
