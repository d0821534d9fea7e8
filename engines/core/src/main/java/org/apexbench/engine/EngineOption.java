package org.apexbench.engine;

import java.util.List;
import java.util.Locale;

/**
 * One option an engine accepts: its key, type, default, bounds and help text. Engines declare theirs as a list
 * ({@link EngineFactory#options}); {@link EngineOptions} reads a value through its declaration, so the parse,
 * the default and the bounds check are written once, and {@code apex engines} lists exactly what
 * {@link EngineFactory#create} accepts.
 *
 * @param key          the option's name, as in {@code --engine-option key=value} or {@code apex[key=value]}
 * @param type         how the value is written
 * @param defaultValue the value when the option is not given, as text ("" for an optional number that has none)
 * @param min          least accepted value of a number or integer
 * @param minInclusive whether {@code min} itself is accepted
 * @param max          greatest accepted value of a number or integer
 * @param maxInclusive whether {@code max} itself is accepted
 * @param choices      the accepted values of a choice (empty otherwise)
 * @param help         what the option does, one sentence
 */
public record EngineOption(String key, Type type, String defaultValue, double min, boolean minInclusive, double max,
                           boolean maxInclusive, List<String> choices, String help) {
    /** How an option's value is written. */
    public enum Type { FLAG, INTEGER, NUMBER, CHOICE }

    public EngineOption {
        if (key == null || key.isBlank()) throw new IllegalArgumentException("an engine option needs a key");
        choices = List.copyOf(choices);
        if (type == Type.CHOICE && !choices.contains(defaultValue)) {
            throw new IllegalArgumentException("option " + key + ": default '" + defaultValue + "' is not one of " + choices);
        }
    }

    /** true/false (also yes/no, on/off, 1/0). */
    public static EngineOption flag(String key, boolean dflt, String help) {
        return new EngineOption(key, Type.FLAG, String.valueOf(dflt), Double.NaN, true, Double.NaN, true, List.of(), help);
    }

    /** An integer in [min, max]. */
    public static EngineOption integer(String key, int dflt, int min, int max, String help) {
        return new EngineOption(key, Type.INTEGER, String.valueOf(dflt), min, true, max, true, List.of(), help);
    }

    /** A number between min and max, each bound included or not; {@code dflt} NaN: no default (the option is off). */
    public static EngineOption number(String key, double dflt, double min, boolean minInclusive, double max,
                                      boolean maxInclusive, String help) {
        return new EngineOption(key, Type.NUMBER, Double.isNaN(dflt) ? "" : String.valueOf(dflt), min, minInclusive, max,
                maxInclusive, List.of(), help);
    }

    /** One of {@code choices}. */
    public static EngineOption choice(String key, String dflt, List<String> choices, String help) {
        return new EngineOption(key, Type.CHOICE, dflt, Double.NaN, true, Double.NaN, true, choices, help);
    }

    /** The accepted values in words: "true|false", "an integer >= 1", "a number in (0, 1]", "recompute|swap". */
    public String accepted() {
        return switch (type) {
            case FLAG -> "true|false";
            case CHOICE -> String.join("|", choices);
            case INTEGER, NUMBER -> {
                String what = type == Type.INTEGER ? "an integer" : "a number";
                String lo = fmt(min), hi = fmt(max);
                if (max == Double.POSITIVE_INFINITY || (type == Type.INTEGER && max == Integer.MAX_VALUE)) {
                    yield what + (minInclusive ? " >= " : " > ") + lo;
                }
                yield what + " in " + (minInclusive ? "[" : "(") + lo + ", " + hi + (maxInclusive ? "]" : ")");
            }
        };
    }

    /** One line for listings: {@code key=ACCEPTED (default D): help}. */
    public String describe() {
        return key + "=" + accepted() + " (default " + (defaultValue.isEmpty() ? "none" : defaultValue) + "): " + help;
    }

    /** Fails naming the option and the accepted values unless {@code v} is within the bounds. */
    double checkBounds(double v, String text) {
        boolean ok = (minInclusive ? v >= min : v > min) && (maxInclusive ? v <= max : v < max);
        if (!ok) throw new IllegalArgumentException("option " + key + ": expected " + accepted() + ", got '" + text + "'");
        return v;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%s", v);
    }
}
