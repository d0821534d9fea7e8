package org.apexbench.reports;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Whether a cell's verdict rests on pass/fail being monotone in the rate. Each engine's answer is the highest rate that
 * met the SLOs with every probed rate below it meeting them (docs/capacity.md); a check then probes grid points above
 * it, and where one of them met too ({@link CapacityReport.Row#passesAbove()}) the answer depended on which rates the
 * search probed. The cell's verdict is recomputed with every engine at the highest rate it met; where that verdict
 * differs, the verdict depends on a non-monotone answer and the summary says so.
 *
 * @param nonMonotone  the cell's engines with a pass above their answer, as "engine (passes/checked)"
 * @param apexHighest  APEX's highest rate met (null: none)
 * @param bestHighest  the baseline with the highest rate met, and that rate (null: none)
 * @param verdict      the verdict at every engine's highest rate met
 * @param depends      whether that verdict differs from the cell's
 */
public record CapacityMonotonicity(List<String> nonMonotone, Double apexHighest, String bestHighestEngine, Double bestHighest,
                                   CapacityReport.Verdict verdict, boolean depends) {
    /** A cell with nothing above its answers met (tests, and cells whose check probed nothing). */
    public static CapacityMonotonicity monotone(CapacityReport.Verdict v) { return new CapacityMonotonicity(List.of(), null, null, null, v, false); }

    /** The cell's rows (one APEX, the rest baselines) judged at their highest rates met, against {@code verdict}. */
    static CapacityMonotonicity of(List<CapacityReport.Row> cell, double resolution, CapacityReport.Verdict verdict) {
        List<String> non = new ArrayList<>();
        CapacityReport.Row apex = null, best = null;
        for (CapacityReport.Row r : cell) {
            if (!r.monotone()) non.add(String.format(Locale.ROOT, "%s (%d/%d)", r.engine(), r.passesAbove(), r.checkedAbove()));
            if (r.apex()) apex = r;
            else if (best == null || highest(r) > highest(best)) best = r;
        }
        CapacityReport.Verdict v = CapacityReport.verdict(highest(apex), highest(best), resolution);
        return new CapacityMonotonicity(List.copyOf(non), apex.highestMet(), best.highestMet() == null ? null : best.engine(),
                best.highestMet(), v, v != verdict);
    }

    private static double highest(CapacityReport.Row r) { return r.highestMet() == null ? 0 : r.highestMet(); }

    /** The summary's note where the verdict depends on a non-monotone answer; empty otherwise. */
    String note() {
        if (!depends) return "";
        return String.format(Locale.ROOT, "the verdict rests on a non-monotone answer (a higher rate than the answer met the SLOs: %s): "
                + "at every engine's highest rate met, APEX %s req/s against %s %s req/s, it would be '%s'", String.join(", ", nonMonotone),
                apexHighest == null ? "none" : String.format(Locale.ROOT, "%.5g", apexHighest), bestHighestEngine == null ? "the best baseline"
                : bestHighestEngine, bestHighest == null ? "none" : String.format(Locale.ROOT, "%.5g", bestHighest), verdict.text());
    }
}
