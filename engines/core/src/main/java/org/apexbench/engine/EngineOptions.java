package org.apexbench.engine;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Engine options as given (key=value strings from the command line or a RunSpec); an engine reads each value
 * through its {@link EngineOption} declaration, which supplies the default and the bounds.
 */
public record EngineOptions(Map<String, String> values) {
    public static final EngineOptions NONE = new EngineOptions(Map.of());

    public EngineOptions {
        values = Map.copyOf(values);
    }

    public static EngineOptions of(String... keyValues) {
        if (keyValues.length % 2 != 0) throw new IllegalArgumentException("options come in key, value pairs");
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < keyValues.length; i += 2) m.put(keyValues[i], keyValues[i + 1]);
        return new EngineOptions(m);
    }

    /** Fails naming the unknown keys and the declared ones. */
    public void requireKnown(String engineId, List<EngineOption> declared) {
        Set<String> known = new TreeSet<>();
        for (EngineOption o : declared) known.add(o.key());
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("engine " + engineId + ": unknown option(s) " + unknown + "; known: " + known);
        }
    }

    /** A {@link EngineOption.Type#NUMBER} option's value, its default when absent (NaN when it has none). */
    public double number(EngineOption o) {
        require(o, EngineOption.Type.NUMBER);
        String v = values.getOrDefault(o.key(), o.defaultValue());
        if (v.isEmpty()) return Double.NaN;
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + o.key() + ": expected a number, got '" + v + "'");
        }
        return o.checkBounds(d, v);
    }

    /** An {@link EngineOption.Type#INTEGER} option's value, its default when absent. */
    public int integer(EngineOption o) {
        require(o, EngineOption.Type.INTEGER);
        String v = values.getOrDefault(o.key(), o.defaultValue());
        int i;
        try {
            i = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + o.key() + ": expected an integer, got '" + v + "'");
        }
        return (int) o.checkBounds(i, v);
    }

    /** A {@link EngineOption.Type#FLAG} option's value, its default when absent. */
    public boolean flag(EngineOption o) {
        require(o, EngineOption.Type.FLAG);
        String v = values.getOrDefault(o.key(), o.defaultValue());
        return switch (v) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException("option " + o.key() + ": expected true/false, got '" + v + "'");
        };
    }

    /** A {@link EngineOption.Type#CHOICE} option's value, its default when absent; else an error listing the choices. */
    public String choice(EngineOption o) {
        require(o, EngineOption.Type.CHOICE);
        String v = values.getOrDefault(o.key(), o.defaultValue());
        if (!o.choices().contains(v)) {
            throw new IllegalArgumentException("option " + o.key() + ": expected one of " + new TreeSet<>(o.choices())
                    + ", got '" + v + "'");
        }
        return v;
    }

    private static void require(EngineOption o, EngineOption.Type type) {
        if (o.type() != type) throw new IllegalStateException("option " + o.key() + " is a " + o.type() + ", read as a " + type);
    }
}
