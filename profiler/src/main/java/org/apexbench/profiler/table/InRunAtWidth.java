package org.apexbench.profiler.table;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The in-run ratios of a one-dimensional device table per exact width ({@code runtime.inRunOverTableAtWidth[TABLE]}: x = a
 * width, value = the median in-run ratio of that width's subtasks, for each width of at least {@link
 * MeasuredRuntime#MIN_WIDTH_SAMPLES}; x = 0 the pooled ratio, as in the buckets' table), consulted before the power-of-two buckets ({@link MeasuredRuntime#inRunWidthTable}).
 *
 * <p>Why exact widths: a table's error against a run differs from one width to the next, because the sweep's cells are
 * single measurements (tiny-llama3's PRE cells at widths 3, 4 and 6 took 11.6, 9.9 and 16.3 us) and a width between cells
 * is interpolated. In one JVM at one moment (run 18's probe, tiny-llama3), PRE ran at 0.88 of its table at width 4
 * (APEX's decode width, 34431 subtasks) and at 1.38 at width 7 (NEO two-thread's and FastDecode's), both in bucket 4 to 7,
 * whose median (0.88) APEX's subtasks set; at the same width the validated engines agreed (PRE at 7: 1.375 and 1.372;
 * POST at 7: 0.918, 0.921, and gpu-only's 0.916 run at that width on other budgets, whose PRE there, 1.112, did not).
 * A profile without this table is charged as before.
 */
public final class InRunAtWidth {
    /** Prefix of the tables ({@link #table}). */
    public static final String PREFIX = "runtime.inRunOverTableAtWidth";

    private InRunAtWidth() { }

    /** The table of per-exact-width in-run ratios of device table {@code table}. */
    public static String table(String table) { return PREFIX + "[" + table + "]"; }

    /**
     * {@code p} with the per-exact-width ratios of {@code table} from {@code ratios} (bounded) and their subtasks' widths
     * (one each): each whole width of at least {@link MeasuredRuntime#MIN_WIDTH_SAMPLES} subtasks, after x = 0 holding
     * {@code pooled} (so that one width is a table of two points, as the buckets' table); {@code p} unchanged where none has
     * that many.
     */
    static Profile with(Profile p, String table, double[] ratios, double[] widths, double pooled) {
        TreeMap<Integer, List<Double>> at = new TreeMap<>();
        for (int i = 0; i < ratios.length; i++) {
            at.computeIfAbsent((int) Math.floor(widths[i]), k -> new java.util.ArrayList<>()).add(ratios[i]);
        }
        at.values().removeIf(v -> v.size() < MeasuredRuntime.MIN_WIDTH_SAMPLES);
        at.keySet().removeIf(w -> w < 1);
        if (at.isEmpty()) return p;
        double[] x = new double[at.size() + 1], median = new double[at.size() + 1];
        median[0] = pooled;   // x = 0: the pooled ratio, as the buckets' table keeps it (no subtask has width 0)
        int i = 1;
        for (var e : at.entrySet()) {
            x[i] = e.getKey();
            median[i++] = MeasuredRuntime.median(e.getValue().stream().mapToDouble(Double::doubleValue).toArray());
        }
        Map<String, ProfileTable> tables = new HashMap<>(p.tables());
        tables.put(table(table), new Table1D("width", x, median));
        return new Profile(p.fingerprint(), tables, p.launchSecPerKernel(), p.measuredWith());
    }

    /** The ratio {@code p} holds for {@code table} at exactly {@code width} (a whole width); NaN where it holds none. */
    static double at(Profile p, String table, double width) {
        if (width < 1 || width != Math.floor(width) || !(p.tables().get(table(table)) instanceof Table1D t)) return Double.NaN;
        int i = java.util.Arrays.binarySearch(t.x(), width);
        return i >= 0 ? t.seconds()[i] : Double.NaN;
    }

    /** Whether {@code p} holds per-exact-width ratios of {@code table}. */
    static boolean present(Profile p, String table) { return p.tables().containsKey(table(table)); }
}
