package org.apexbench.engine.apex;

import org.apexbench.engine.plan.SubBatchLoad;

import java.util.BitSet;

/**
 * Fewest requests late in an overload (docs/engines.md#apex, <i>Overload triage</i>). With a TPOT SLO S the objective is a
 * percentile over requests, so what counts is how many end over S, not by how much. A decision is an overload when no
 * plan that runs every must-run candidate (no TPOT slack left) is predicted within S; without this rule the dispatcher
 * then runs the most rows per second, every must-run candidate's step over S, and the lateness is spread over all of
 * them. This rule keeps as many of them within S as one step can hold, as Moore and Hodgson's rule for the fewest late
 * jobs drops the jobs that take longest: the must-run candidates that need the most of the step (the longest contexts,
 * whose CPU attention and copies the step pays) are given up until the rest fit a predicted step within S.
 *
 * <p>A request given up stays given up (the same few absorb the lateness, rather than the next overload choosing
 * others): it is never must-run again, and it is ordered after the must-run candidates and before every request that
 * still has slack, so it runs whenever a plan has room beyond the must-run set (best effort), and once the overload
 * ends it runs as any candidate the dispatcher finds room for. Nothing is given up when the GPU rows alone miss S (a
 * prefill step: no choice of host rows meets S there). Predictions only: the step is the dispatcher's own AO and
 * prefix-split AP prediction; one pass over the must-run candidates, after sorting them, in decisions that are
 * overloads.
 */
final class LateTriage {
    /** Requests given up, by {@link org.apexbench.engine.RequestState#index()}: a request's index is its own for the run. */
    private final BitSet givenUp = new BitSet();
    private long[] sorted = new long[16];
    private long[] ctxs = new long[16];

    /** Whether the request of run index {@code index} has been given up. */
    boolean givenUp(int index) { return givenUp.get(index); }

    /** Whether any request has been given up (the ordering then reads {@link #givenUp(int)}). */
    boolean any() { return !givenUp.isEmpty(); }

    /**
     * In an overload over the must-run candidates {@code cpuCtx[0..m)} (contexts; {@code index[i]}: candidate i's run
     * index), gives up the fewest (the longest contexts first) so that a step that runs the others is predicted within
     * {@code slo}, priced by {@code trial} (a dispatcher of its own: this begins a decision on it) beside GPU rows
     * {@code g} and fixed time {@code fixedSec}. Returns how many were given up (0 when the GPU rows alone miss S, or
     * when every must-run candidate fits).
     */
    int triage(Dispatch trial, SubBatchLoad g, long[] cpuCtx, int[] index, int m, double fixedSec, double slo,
               boolean pipeline) {
        if (m <= 0 || !Double.isFinite(slo)) return 0;
        if (sorted.length < m) {
            sorted = new long[Math.max(m, 2 * sorted.length)];
            ctxs = new long[sorted.length];
        }
        // shortest context first, ties by priority (slack) order: the prefix that fits S keeps the most candidates
        for (int i = 0; i < m; i++) sorted[i] = Math.min(cpuCtx[i], Integer.MAX_VALUE) << 32 | i;
        java.util.Arrays.sort(sorted, 0, m);
        for (int i = 0; i < m; i++) ctxs[i] = sorted[i] >>> 32;
        trial.begin(g, ctxs, m, fixedSec, false, Double.NaN, pipeline);
        if (trial.gpuOnlySec() > slo) return 0;
        int keep = 0;
        for (int k = 1; k <= m; k++) {
            trial.add(ctxs[k - 1]);
            if (trial.lastStepSec() <= slo) keep = k;
        }
        for (int i = keep; i < m; i++) givenUp.set(index[(int) sorted[i]]);
        return m - keep;
    }
}
