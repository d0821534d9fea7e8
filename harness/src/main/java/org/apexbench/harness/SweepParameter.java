package org.apexbench.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The parameter `sweep --over NAME` varies: any numeric option of `run` (its long name without dashes, e.g.
 * {@code gpu-memory}, {@code max-running}, {@code max-tokens}, {@code sim-cpu-slowdown}, {@code jitter}) or an
 * engine option ({@code engine-option:KEY}). Values are set through picocli's model of the parsed command, so a
 * point runs with exactly the options a `run` with {@code --NAME value} would have, and are restored afterwards.
 */
final class SweepParameter {
    static final String ENGINE_PREFIX = "engine-option:";

    private final String name;
    private final OptionSpec option;        // null for an engine option
    private final String engineKey;         // null for a run option
    private final RunOptions options;

    private SweepParameter(String name, OptionSpec option, String engineKey, RunOptions options) {
        this.name = name;
        this.option = option;
        this.engineKey = engineKey;
        this.options = options;
    }

    static SweepParameter of(String name, CommandSpec command, RunOptions options) {
        if (name.startsWith(ENGINE_PREFIX)) {
            String key = name.substring(ENGINE_PREFIX.length());
            if (key.isBlank()) throw new IllegalArgumentException("--over " + name + ": expected engine-option:KEY, e.g. engine-option:marginPct");
            return new SweepParameter(name, null, key, options);
        }
        OptionSpec o = command.findOption("--" + name);
        if (o == null || !numeric(o) || !isRunOption(command, o)) {
            throw new IllegalArgumentException("--over " + name + ": expected a numeric run option (" + String.join(", ", numericNames(command))
                    + ") or " + ENGINE_PREFIX + "KEY");
        }
        return new SweepParameter(name, o, null, options);
    }

    String name() { return name; }

    /** Runs {@code body} with the parameter at {@code value}, then puts the original value back. */
    <T> T with(double value, java.util.function.Supplier<T> body) {
        if (engineKey != null) {
            String saved = options.engineOptions.get(engineKey);
            options.engineOptions.put(engineKey, text(value));
            try {
                return body.get();
            } finally {
                if (saved == null) options.engineOptions.remove(engineKey);
                else options.engineOptions.put(engineKey, saved);
            }
        }
        Object saved = option.getValue();
        option.setValue(convert(option.type(), value));
        try {
            return body.get();
        } finally {
            option.setValue(saved);
        }
    }

    private Object convert(Class<?> type, double value) {
        if (whole(type)) {
            if (value != Math.rint(value)) throw new IllegalArgumentException("--over " + name + ": expects whole numbers, got " + text(value));
            return type == int.class || type == Integer.class ? (Object) (int) value : (Object) (long) value;
        }
        return value;
    }

    /** A value as the command line would write it: 8 rather than 8.0. */
    static String text(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : String.format(Locale.ROOT, "%s", v);
    }

    private static boolean numeric(OptionSpec o) {
        Class<?> t = o.type();
        return whole(t) || t == double.class || t == Double.class;
    }

    private static boolean whole(Class<?> t) {
        return t == int.class || t == Integer.class || t == long.class || t == Long.class;
    }

    /** An option of the {@link RunOptions} mixin (not one of sweep's own, such as --min-rate). */
    private static boolean isRunOption(CommandSpec command, OptionSpec o) {
        for (CommandSpec mixin : command.mixins().values()) {
            if (mixin.userObject() instanceof RunOptions && mixin.options().contains(o)) return true;
        }
        return false;
    }

    private static List<String> numericNames(CommandSpec command) {
        List<String> names = new ArrayList<>();
        for (OptionSpec o : command.options()) {
            if (numeric(o) && isRunOption(command, o)) names.add(o.longestName().substring(2));
        }
        return names;
    }
}
