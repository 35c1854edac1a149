package io.gatehouse.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.dataformat.yaml.YAMLFactory;
import tools.jackson.dataformat.yaml.YAMLParser;

/**
 * The YAML document as a tree that remembers where each value (and the key in front of it) was written, and its
 * JSON pointer. Jackson's streaming parser reads the YAML; {@link ConfigReader} turns the tree into records, so
 * that every problem in the file, not only the first, can be reported with its line and column.
 */
final class YamlNode {

    enum Kind {
        MAPPING("a mapping"),
        LIST("a list"),
        STRING("a string"),
        INTEGER("a number"),
        DECIMAL("a number"),
        BOOLEAN("a boolean"),
        NULL("an empty value"),
        /** Already reported while reading the YAML (an alias, a binary value); readers skip it silently. */
        INVALID("an unsupported value");

        final String description;

        Kind(String description) {
            this.description = description;
        }
    }

    private static final YAMLFactory YAML = YAMLFactory.builder().build();

    private final Kind kind;
    private final String pointer;
    private final int line;
    private final int column;
    private final int keyLine;
    private final int keyColumn;
    private final String text;
    private final boolean substituted;
    private final Map<String, YamlNode> entries;
    private final List<YamlNode> items;

    private YamlNode(Kind kind, String pointer, TokenStreamLocation value, int keyLine, int keyColumn, String text,
            boolean substituted, Map<String, YamlNode> entries, List<YamlNode> items) {
        this.kind = kind;
        this.pointer = pointer;
        this.line = value.getLineNr();
        this.column = value.getColumnNr();
        this.keyLine = keyLine;
        this.keyColumn = keyColumn;
        this.text = text;
        this.substituted = substituted;
        this.entries = entries;
        this.items = items;
    }

    Kind kind() {
        return kind;
    }

    /** JSON pointer of this value, {@code ""} for the document itself. */
    String pointer() {
        return pointer;
    }

    int line() {
        return line;
    }

    int column() {
        return column;
    }

    /** Where this value's key is written; the value's own position for list items and the document. */
    int keyLine() {
        return keyLine;
    }

    int keyColumn() {
        return keyColumn;
    }

    /**
     * The scalar's text as written (without quotes), with {@code ${NAME}} references replaced; null for mappings
     * and lists.
     */
    String text() {
        return text;
    }

    /**
     * Whether the text held a {@code ${NAME}} reference. Such a value is a YAML string whatever the variable holds;
     * readers that expect a number or a boolean accept its text instead, and messages under {@code /auth} never
     * repeat it.
     */
    boolean substituted() {
        return substituted;
    }

    /** The entries of a mapping by key, in file order; empty for other kinds. */
    Map<String, YamlNode> entries() {
        return entries;
    }

    /** The items of a list, in order; empty for other kinds. */
    List<YamlNode> items() {
        return items;
    }

    /**
     * Says what this value is for a "must be X, got Y" message. Scalars are quoted, except under {@code /auth},
     * where a misplaced API key could be the value: the messages must never show a key.
     */
    String describe() {
        boolean secret = pointer.isEmpty() || ConfigReader.mayHoldSecrets(pointer);
        if (secret || text == null || kind == Kind.NULL || kind == Kind.INVALID) {
            return kind.description;
        }
        String shown = text.length() <= 40 ? text : text.substring(0, 37) + "...";
        return switch (kind) {
            case STRING -> "the string '" + shown + "'";
            case BOOLEAN -> text;
            default -> "the number " + shown;
        };
    }

    /** Escapes a key as a JSON pointer segment (RFC 6901). */
    static String escape(String key) {
        return key.replace("~", "~0").replace("/", "~1");
    }

    /**
     * Reads one YAML document. Syntax errors, duplicate keys, aliases and extra documents go to {@code problems};
     * returns null when the document is empty or cannot be read at all.
     */
    static YamlNode read(String yaml, Map<String, String> env, Problems problems) {
        try (JsonParser parser = YAML.createParser(ObjectReadContext.empty(), yaml)) {
            try {
                if (parser.nextToken() == null) {
                    problems.add(1, 1, "", "the file is empty; it needs at least a 'routes' list");
                    return null;
                }
                TokenStreamLocation start = parser.currentTokenLocation();
                YamlNode root = value(parser, "", start.getLineNr(), start.getColumnNr(), env, problems);
                if (parser.nextToken() != null) {
                    TokenStreamLocation extra = parser.currentTokenLocation();
                    problems.add(extra.getLineNr(), extra.getColumnNr(), "",
                            "only one YAML document is allowed; remove the second '---' section");
                }
                return root;
            } catch (JacksonException e) {
                syntaxError(e, parser, problems);
                return null;
            }
        }
    }

    private static YamlNode value(JsonParser parser, String pointer, int keyLine, int keyColumn,
            Map<String, String> env, Problems problems) {
        TokenStreamLocation at = parser.currentTokenLocation();
        JsonToken token = parser.currentToken();
        switch (token) {
            case START_OBJECT: {
                Map<String, YamlNode> entries = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                    String key = parser.currentName();
                    TokenStreamLocation keyAt = parser.currentTokenLocation();
                    String childPointer = pointer + "/" + escape(key);
                    parser.nextToken();
                    YamlNode child = value(parser, childPointer, keyAt.getLineNr(), keyAt.getColumnNr(), env,
                            problems);
                    YamlNode first = entries.putIfAbsent(key, child);
                    if (first != null) {
                        String shown = ConfigReader.keyForMessage(pointer, key, List.of());
                        problems.atKey(child, shown == null ? pointer : childPointer,
                                "duplicate key" + (shown == null ? "" : " '" + shown + "'")
                                        + ", first written on line " + first.keyLine());
                    }
                }
                return new YamlNode(Kind.MAPPING, pointer, at, keyLine, keyColumn, null, false,
                        Collections.unmodifiableMap(entries), List.of());
            }
            case START_ARRAY: {
                List<YamlNode> items = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    TokenStreamLocation itemAt = parser.currentTokenLocation();
                    items.add(value(parser, pointer + "/" + items.size(), itemAt.getLineNr(),
                            itemAt.getColumnNr(), env, problems));
                }
                return new YamlNode(Kind.LIST, pointer, at, keyLine, keyColumn, null, false, Map.of(),
                        Collections.unmodifiableList(items));
            }
            default:
                return scalar(parser, token, pointer, at, keyLine, keyColumn, env, problems);
        }
    }

    private static YamlNode scalar(JsonParser parser, JsonToken token, String pointer, TokenStreamLocation at,
            int keyLine, int keyColumn, Map<String, String> env, Problems problems) {
        Kind kind;
        switch (token) {
            case VALUE_STRING:
                kind = Kind.STRING;
                break;
            case VALUE_NUMBER_INT:
                kind = Kind.INTEGER;
                break;
            case VALUE_NUMBER_FLOAT:
                kind = Kind.DECIMAL;
                break;
            case VALUE_TRUE:
            case VALUE_FALSE:
                kind = Kind.BOOLEAN;
                break;
            case VALUE_NULL:
                kind = Kind.NULL;
                break;
            default:
                kind = Kind.INVALID;
                problems.add(at.getLineNr(), at.getColumnNr(), pointer, "unsupported YAML value; write plain text");
                break;
        }
        if (parser instanceof YAMLParser yaml && yaml.isCurrentAlias()) {
            kind = Kind.INVALID;
            problems.add(at.getLineNr(), at.getColumnNr(), pointer,
                    "YAML aliases (*name) are not supported; write the value out");
        }
        String text = kind == Kind.INVALID ? null : parser.getString();
        boolean substituted = false;
        if (kind == Kind.STRING && text.indexOf('$') >= 0) {
            Substitution result = substitute(text, env, pointer, at, problems);
            if (result == null) {
                kind = Kind.INVALID;
                text = null;
            } else {
                substituted = result.referenced();
                text = result.text();
            }
        }
        return new YamlNode(kind, pointer, at, keyLine, keyColumn, text, substituted, Map.of(), List.of());
    }

    /**
     * Replaces each {@code ${NAME}} in one scalar with the variable's value and each {@code $${} with a literal
     * {@code ${}; values are inserted as they are, never scanned again. Returns null, with the problem reported at
     * the scalar, for an unset variable or a malformed reference. Messages name the variable, never a value, and
     * under {@code /auth} or the Redis URL not even the malformed text.
     */
    private static Substitution substitute(String text, Map<String, String> env, String pointer, TokenStreamLocation at,
            Problems problems) {
        StringBuilder out = new StringBuilder(text.length());
        boolean referenced = false;
        int i = 0;
        while (i < text.length()) {
            if (text.startsWith("$${", i)) {
                out.append("${");
                i += 3;
            } else if (text.startsWith("${", i)) {
                int end = text.indexOf('}', i + 2);
                if (end < 0) {
                    problems.add(at.getLineNr(), at.getColumnNr(), pointer, "unclosed ${ in an environment reference;"
                            + " write ${NAME}, or $${ for a literal ${");
                    return null;
                }
                String name = text.substring(i + 2, end);
                if (!isVariableName(name)) {
                    boolean secret = ConfigReader.mayHoldSecrets(pointer);
                    problems.add(at.getLineNr(), at.getColumnNr(), pointer, "invalid environment reference"
                            + (secret ? "" : " '${" + abbreviate(name) + "}'")
                            + "; a name is letters, digits and '_', not starting with a digit, like ${API_KEY}"
                            + " (write $${ for a literal ${)");
                    return null;
                }
                String value = env.get(name);
                if (value == null) {
                    problems.add(at.getLineNr(), at.getColumnNr(), pointer,
                            "environment variable " + name + " is not set");
                    return null;
                }
                out.append(value);
                referenced = true;
                i = end + 1;
            } else {
                out.append(text.charAt(i));
                i++;
            }
        }
        return new Substitution(out.toString(), referenced);
    }

    private record Substitution(String text, boolean referenced) {
    }

    /** {@code [A-Za-z_][A-Za-z0-9_]*}. */
    static boolean isVariableName(String name) {
        if (name.isEmpty() || (name.charAt(0) >= '0' && name.charAt(0) <= '9')) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }

    /**
     * Turns a parser failure into one problem. snakeyaml's own message repeats the offending line, which may hold
     * an API key, so only its short problem statement is kept, at its precise mark.
     */
    private static void syntaxError(JacksonException e, JsonParser parser, Problems problems) {
        String pointer = parser.streamReadContext().pathAsPointer().toString();
        if (e.getCause() instanceof MarkedYamlEngineException yaml) {
            Optional<Mark> mark = yaml.getProblemMark();
            int line = mark.map(m -> m.getLine() + 1).orElse(1);
            int column = mark.map(m -> m.getColumn() + 1).orElse(1);
            boolean secret = ConfigReader.mayHoldSecrets(pointer);
            String problem = yaml.getProblem() == null ? "" : yaml.getProblem();
            String context = yaml.getContext() == null ? "" : yaml.getContext().strip();
            String message = problem.contains("(TAB)")
                    ? "invalid YAML: tabs cannot be used for indentation; use spaces"
                    : "invalid YAML: " + scrub(problem, secret)
                            + (context.startsWith("while ") ? " " + scrub(context, secret) : "");
            problems.add(line, column, pointer, message);
            return;
        }
        TokenStreamLocation at = e.getLocation();
        int line = at == null || at.getLineNr() < 1 ? 1 : at.getLineNr();
        int column = at == null || at.getColumnNr() < 1 ? 1 : at.getColumnNr();
        String original = e.getOriginalMessage() == null ? "" : e.getOriginalMessage().lines().findFirst().orElse("");
        String message;
        if (original.startsWith("Expected a property name")) {
            message = "invalid YAML: mapping keys must be plain text, not lists or mappings";
        } else if (ConfigReader.mayHoldSecrets(pointer) || original.isBlank()) {
            message = "invalid YAML";
        } else {
            message = "invalid YAML: " + original.strip();
        }
        problems.add(line, column, pointer, message);
    }

    /**
     * Under {@code /auth} drops quoted fragments that could be file content (an API key); keeps the short ones
     * and snakeyaml's token names such as {@code '<block end>'} and {@code '\t(TAB)'}.
     */
    private static String scrub(String text, boolean secret) {
        String stripped = text.strip();
        return secret ? stripped.replaceAll("'[^'<\\\\]{4,}'|\"[^\"<\\\\]{4,}\"", "'...'") : stripped;
    }
}
