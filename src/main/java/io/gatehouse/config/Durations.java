package io.gatehouse.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The config file's duration syntax: a whole number and a unit, {@code 250ms}, {@code 10s}, {@code 5m}, {@code 1h}. */
public final class Durations {

    private static final Pattern SYNTAX = Pattern.compile("([0-9]+)(ms|s|m|h)");

    private Durations() {
    }

    /**
     * Parses {@code <digits><unit>} with unit {@code ms}, {@code s}, {@code m} or {@code h}.
     *
     * @throws IllegalArgumentException with a message that can be shown to the user as it is
     */
    public static Duration parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("missing duration; " + accepted());
        }
        Matcher m = SYNTAX.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid duration '" + abbreviate(text) + "'; " + accepted());
        }
        try {
            long amount = Long.parseLong(m.group(1));
            switch (m.group(2)) {
                case "ms":
                    return Duration.ofMillis(amount);
                case "s":
                    return Duration.ofSeconds(amount);
                case "m":
                    return Duration.ofMinutes(amount);
                default:
                    return Duration.ofHours(amount);
            }
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("duration '" + abbreviate(text) + "' is too large");
        }
    }

    /**
     * Writes a duration the way a person would in the config file: {@code 250ms}, {@code 60s}, {@code 90s},
     * {@code 10m}, {@code 1h}. Up to a minute stays in seconds; above that the largest exact unit is used, so
     * {@code parse(format(d))} gives {@code d} back. Sub-millisecond parts are dropped.
     */
    public static String format(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("negative duration: " + d);
        }
        long millis = d.toMillis();
        if (millis % 1000 != 0) {
            return millis + "ms";
        }
        long seconds = millis / 1000;
        if (seconds <= 60) {
            return seconds + "s";
        }
        if (seconds % 3600 == 0) {
            return seconds / 3600 + "h";
        }
        if (seconds % 60 == 0) {
            return seconds / 60 + "m";
        }
        return seconds + "s";
    }

    private static String accepted() {
        return "write a whole number followed by ms, s, m or h, like 250ms, 10s, 5m or 1h";
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }
}
