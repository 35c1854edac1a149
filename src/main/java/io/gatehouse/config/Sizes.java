package io.gatehouse.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The config file's size syntax: a whole number of bytes, optionally followed by a binary unit, {@code 512},
 * {@code 512B}, {@code 16KiB}, {@code 10MiB}, {@code 1GiB}, {@code 1TiB}.
 *
 * <p>{@code KB}, {@code MB}, {@code GB} and {@code TB} are rejected rather than read as binary units: people mean
 * 1000 by them as often as 1024, and a limit that is off by 2.4 % either way is a surprise we can avoid.
 */
public final class Sizes {

    public static final long KIB = 1024L;
    public static final long MIB = 1024L * KIB;
    public static final long GIB = 1024L * MIB;
    public static final long TIB = 1024L * GIB;

    private static final Pattern SYNTAX = Pattern.compile("([0-9]+)(B|KiB|MiB|GiB|TiB)?");
    private static final Pattern DECIMAL_UNIT = Pattern.compile("([0-9]+)([KMGTkmgt])[Bb]");

    private Sizes() {
    }

    /**
     * Parses {@code <digits>[unit]} with unit {@code B}, {@code KiB}, {@code MiB}, {@code GiB} or {@code TiB} (case
     * as written); no unit means bytes. Negatives, fractions and spaces are rejected.
     *
     * @return the number of bytes
     * @throws IllegalArgumentException with a message that can be shown to the user as it is
     */
    public static long parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("missing size; " + accepted());
        }
        Matcher m = SYNTAX.matcher(text);
        if (!m.matches()) {
            Matcher decimal = DECIMAL_UNIT.matcher(text);
            if (decimal.matches()) {
                String binary = decimal.group(1) + decimal.group(2).toUpperCase(Locale.ROOT) + "iB";
                throw new IllegalArgumentException("invalid size '" + abbreviate(text) + "'; KB, MB, GB and TB are"
                        + " not accepted because they may mean powers of 1000 or of 1024: write " + binary
                        + " for the binary unit");
            }
            throw new IllegalArgumentException("invalid size '" + abbreviate(text) + "'; " + accepted());
        }
        long unit = switch (m.group(2) == null ? "B" : m.group(2)) {
            case "KiB" -> KIB;
            case "MiB" -> MIB;
            case "GiB" -> GIB;
            case "TiB" -> TIB;
            default -> 1L;
        };
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (ArithmeticException | NumberFormatException e) {
            throw new IllegalArgumentException("size '" + abbreviate(text) + "' is too large");
        }
    }

    /**
     * Writes a size in the largest binary unit that divides it exactly: {@code 512B}, {@code 16KiB},
     * {@code 1536KiB}, {@code 10MiB}, {@code 1TiB}; {@code parse(format(n)) == n}.
     */
    public static String format(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("negative size: " + bytes);
        }
        if (bytes == 0) {
            return "0B";
        }
        if (bytes % TIB == 0) {
            return bytes / TIB + "TiB";
        }
        if (bytes % GIB == 0) {
            return bytes / GIB + "GiB";
        }
        if (bytes % MIB == 0) {
            return bytes / MIB + "MiB";
        }
        if (bytes % KIB == 0) {
            return bytes / KIB + "KiB";
        }
        return bytes + "B";
    }

    private static String accepted() {
        return "write a whole number of bytes, optionally followed by B, KiB, MiB, GiB or TiB, like 512, 16KiB,"
                + " 10MiB or 1GiB";
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }
}
