package org.apexbench.harness;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apexbench.profiler.table.InRunAtWidth;
import org.apexbench.profiler.table.MeasuredRuntime;
import org.apexbench.profiler.table.Profile;
import org.apexbench.profiler.table.Table1D;

/**
 * The per-width in-run ratios of the one simulated machine ({@link MeasuredRuntime#inRunWidthTable}), taken from every
 * validated engine's warm-up runs together: the same operator at the same width on the same machine, whichever engine ran
 * it (run 15 measured engines at the same width within 0.05 of each other). gpu-only's runs alone run the operators at
 * widths 1 to 2 and 48 to 96 on tiny-llama3's validated budgets and fill no width bucket from 4 to 31, where NEO two-thread
 * runs its decode sub-batches (7 and 9: PRE at 1.0 times its table, charged gpu-only's pooled 0.644; docs/validation.md,
 * runs 16 and 17). One shared table per operator, not each engine's own speed (run 15 rejected that with numbers): a
 * width's median ({@link InRunAtWidth}) and a bucket's pool every engine's subtasks of that width or bucket; a width
 * without {@link MeasuredRuntime#MIN_WIDTH_SAMPLES} subtasks of its own takes its bucket's, and one without a bucket
 * gpu-only's pooled ratio, as before.
 */
final class SharedWidthRatios {
    private SharedWidthRatios() { }

    /** Per device table, every engine's warm-up ratios and their subtasks' widths, in the same order. */
    record Pool(Map<String, double[]> ratios, Map<String, double[]> widths) { }

    /**
     * The ratios and widths of {@code runs} (per engine, one map a run, in the order they ran; {@code widths} alike) pooled
     * per table: of each engine's runs, every one but its first where it has several ({@link IterationCalibration#pooled}).
     */
    static Pool pool(List<List<Map<String, double[]>>> runs, List<List<Map<String, double[]>>> widths) {
        if (runs.size() != widths.size()) throw new IllegalArgumentException("shared width ratios: " + runs.size() + " engines' ratios but "
                + widths.size() + " engines' widths");
        Map<String, double[]> r = new LinkedHashMap<>(), w = new LinkedHashMap<>();
        for (int e = 0; e < runs.size(); e++) {
            Map<String, double[]> er = IterationCalibration.pooled(runs.get(e)), ew = IterationCalibration.pooled(widths.get(e));
            for (var t : er.entrySet()) {
                double[] tw = ew.get(t.getKey());
                if (tw == null || tw.length != t.getValue().length) {
                    throw new IllegalArgumentException("shared width ratios of '" + t.getKey() + "': " + t.getValue().length + " ratios but "
                            + (tw == null ? 0 : tw.length) + " widths");
                }
                r.merge(t.getKey(), t.getValue(), IterationCalibration::concat);
                w.merge(t.getKey(), tw, IterationCalibration::concat);
            }
        }
        return new Pool(r, w);
    }

    /**
     * {@code p} with each table's per-width ratios taken from {@code pool} (the buckets) and its pooled in-run ratio (x = 0:
     * gpu-only's, {@link MeasuredRuntime#inRunScale(Profile, String)}), replacing any it held; a table {@code p} holds no
     * pooled ratio of keeps what it had.
     */
    static Profile apply(Profile p, Pool pool) {
        Profile out = p;
        for (var e : pool.ratios().entrySet()) {
            String table = e.getKey();
            if (!p.tables().containsKey(MeasuredRuntime.inRunTable(table)) || e.getValue().length == 0) continue;
            out = MeasuredRuntime.withInRunWidthRatios(out, table, e.getValue(), pool.widths().get(table), MeasuredRuntime.inRunScale(p, table));
        }
        return out;
    }

    /**
     * Each per-width table of {@code p}: the buckets as " pre [0: 0.644, 1: 0.641, 4: 0.93, ...]", the exact widths as
     * " pre@width [1: 0.641, 7: 1.375, ...]" (full precision: the record of a run).
     */
    static String describe(Profile p) {
        StringBuilder b = new StringBuilder();
        for (String table : MeasuredRuntime.IN_RUN_TABLES) {
            append(b, table, p.tables().get(MeasuredRuntime.inRunWidthTable(table)));
            append(b, table + "@width", p.tables().get(InRunAtWidth.table(table)));
        }
        return b.toString();
    }

    private static void append(StringBuilder b, String label, Object table) {
        if (!(table instanceof Table1D t)) return;
        b.append(' ').append(label).append(" [");
        double[] x = t.x(), v = t.seconds();
        for (int i = 0; i < x.length; i++) b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%d: %s", (long) x[i], v[i]));
        b.append(']');
    }
}
