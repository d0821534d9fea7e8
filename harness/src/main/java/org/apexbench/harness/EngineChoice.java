package org.apexbench.harness;

import java.util.Map;
import java.util.TreeMap;

/**
 * One engine as named on the command line: an engine id, optionally with its own options in brackets,
 * {@code apex[recalibrate=true,marginPct=5]}, so that `compare` can put variants of one engine side by side.
 * The bracket options extend (and override) the run's {@code --engine-option}s for that engine only. The
 * label (the text as given) names the engine in reports and its output folder.
 *
 * @param label    the text as given, e.g. {@code apex[recalibrate=true]}
 * @param engineId what the engine registry creates, e.g. {@code apex}
 * @param options  the global options with this engine's own on top
 */
record EngineChoice(String label, String engineId, Map<String, String> options) {

    /** Splits an {@code --engines} list at the commas outside brackets. */
    static final String LIST_SPLIT = ",(?![^\\[\\]]*\\])";

    static EngineChoice parse(String text, Map<String, String> global) {
        String t = text.strip();
        int open = t.indexOf('[');
        Map<String, String> options = new TreeMap<>(global);
        if (open < 0) {
            if (t.contains("]")) throw bad(text, "a ']' without '['");
            return new EngineChoice(t, t, options);
        }
        if (!t.endsWith("]") || t.indexOf('[', open + 1) >= 0 || t.indexOf(']') != t.length() - 1) {
            throw bad(text, "options as ENGINE[key=value,key=value] with one pair of brackets at the end");
        }
        String id = t.substring(0, open).strip();
        if (id.isEmpty()) throw bad(text, "an engine id before '['");
        String inside = t.substring(open + 1, t.length() - 1).strip();
        if (inside.isEmpty()) throw bad(text, "at least one key=value inside the brackets");
        for (String pair : inside.split(",")) {
            int eq = pair.indexOf('=');
            if (eq <= 0 || eq == pair.length() - 1) throw bad(text, "key=value pairs, got '" + pair.strip() + "'");
            options.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
        }
        return new EngineChoice(t, id, options);
    }

    private static IllegalArgumentException bad(String text, String expected) {
        return new IllegalArgumentException("engine '" + text + "': expected " + expected);
    }
}
