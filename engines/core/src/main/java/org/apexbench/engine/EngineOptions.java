package org.apexbench.engine;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** Engine options as key=value strings (from the command line or a RunSpec), with typed, checked getters. */
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

    /** Fails naming the unknown keys and the known ones. */
    public void requireKnown(String engineId, Set<String> known) {
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("engine " + engineId + ": unknown option(s) " + unknown + "; known: " + new TreeSet<>(known));
        }
    }

    public String string(String key, String dflt) { return values.getOrDefault(key, dflt); }

    public double number(String key, double dflt) {
        String v = values.get(key);
        if (v == null) return dflt;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + key + ": expected a number, got '" + v + "'");
        }
    }

    public int integer(String key, int dflt) {
        String v = values.get(key);
        if (v == null) return dflt;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + key + ": expected an integer, got '" + v + "'");
        }
    }

    public boolean flag(String key, boolean dflt) {
        String v = values.get(key);
        if (v == null) return dflt;
        return switch (v) {
            case "true", "yes", "on", "1" -> true;
            case "false", "no", "off", "0" -> false;
            default -> throw new IllegalArgumentException("option " + key + ": expected true/false, got '" + v + "'");
        };
    }

    /** One of {@code allowed}, else an error listing them. */
    public String choice(String key, String dflt, Set<String> allowed) {
        String v = string(key, dflt);
        if (!allowed.contains(v)) {
            throw new IllegalArgumentException("option " + key + ": expected one of " + new TreeSet<>(allowed) + ", got '" + v + "'");
        }
        return v;
    }
}
