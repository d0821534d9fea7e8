package org.apexbench.engine.apex;

import org.apexbench.engine.plan.SubBatchLoad;

import java.util.BitSet;

/**
 * Fewest requests late in an overload (docs/engines.md#apex, <i>Overload triage</i>). With a TPOT SLO S the objective is a
 * percentile over requests, so what counts is how many end over S, not by how much. A decision is an overload when no
 * plan that runs every must-run candidate (no TPOT slack left) is predicted within S; without this rule the dispatcher
 * then runs the most rows per second, every must-run candidate's step over S, and the lateness is spread over all of
 * them. This rule keeps as many of them within their TPOT deadlines as one step can hold, as Moore and Hodgson's rule for
 * the fewest late jobs drops the jobs that take longest: a kept request must fit a step no longer than S and than its
 * own budget (the mean step time at which, run every step from now on, it ends on its deadline), and among the
 * candidates whose budget allows a step the ones that need the most of it (the longest contexts, whose CPU attention
 * and copies the step pays) are given up until the rest fit.
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
    private double[] thresholds = new double[17];

    /** Whether the request of run index {@code index} has been given up. */
    boolean givenUp(int index) { return givenUp.get(index); }

    /** Whether any request has been given up (the ordering then reads {@link #givenUp(int)}). */
    boolean any() { return !givenUp.isEmpty(); }

    /**
     * The mean step time from {@code now} at which request {@code r}, run every step until its last token, ends on its
     * TPOT deadline under {@code slo} (first token + slo x (output - 1)): what is left of its budget over the tokens it
     * still has to produce.
     */
    static double stepBudgetSec(org.apexbench.engine.RequestState r, double now, double slo) {
        double deadline = r.tokenTime(0) + slo * Math.max(1, r.targetOutput() - 1);
        return (deadline - now) / Math.max(1, r.targetOutput() - r.generated());
    }

    /**
     * In an overload over the must-run candidates {@code cpuCtx[0..m)} (contexts; {@code budget[i]}: candidate i's
     * {@link #stepBudgetSec}; {@code index[i]}: its run index), keeps the most that a step within {@code slo} and within
     * each kept one's own budget can run, and gives up the others. For each threshold t (S, or a candidate's budget
     * below S), the candidates whose budget is at least t are eligible and the shortest contexts among them are kept
     * while the predicted step (the dispatcher's AO or prefix-split AP, priced by {@code trial}: this begins decisions
     * on it) stays within t, beside GPU rows {@code g} and fixed time {@code fixedSec}; the threshold that keeps the
     * most wins (the highest among equals). Returns how many were given up (0 when the GPU rows alone miss S, or when
     * every must-run candidate is kept). O(m^2) step predictions, in overload decisions only.
     */
    int triage(Dispatch trial, SubBatchLoad g, long[] cpuCtx, double[] budget, int[] index, int m, double fixedSec,
               double slo, boolean pipeline) {
        if (m <= 0 || !Double.isFinite(slo)) return 0;
        if (sorted.length < m) {
            sorted = new long[Math.max(m, 2 * sorted.length)];
            ctxs = new long[sorted.length];
            thresholds = new double[sorted.length + 1];
        }
        // shortest context first, ties by priority (slack) order: the prefix of the eligible that fits keeps the most
        for (int i = 0; i < m; i++) sorted[i] = Math.min(cpuCtx[i], Integer.MAX_VALUE) << 32 | i;
        java.util.Arrays.sort(sorted, 0, m);
        trial.begin(g, cpuCtx, m, fixedSec, false, Double.NaN, pipeline);
        if (trial.gpuOnlySec() > slo) return 0;
        int nt = 0;
        thresholds[nt++] = slo;
        for (int i = 0; i < m; i++) if (budget[i] < slo) thresholds[nt++] = budget[i];
        java.util.Arrays.sort(thresholds, 0, nt);
        int best = -1;
        double bestT = 0;
        for (int j = nt - 1; j >= 0; j--) {
            double t = thresholds[j];
            if (j < nt - 1 && t == thresholds[j + 1]) continue;
            int kept = keep(trial, g, budget, m, fixedSec, t, pipeline);
            if (kept > best) { best = kept; bestT = t; }
        }
        if (best >= m) return 0;
        // the kept set again, and the others given up
        int kept = 0;
        int n = 0;
        for (int i = 0; i < m; i++) {
            int c = (int) sorted[i];
            boolean keepIt = budget[c] >= bestT && kept < best;
            if (keepIt) kept++;
            else { givenUp.set(index[c]); n++; }
        }
        return n;
    }

    /** How many of the candidates with budget at least {@code t}, shortest context first, a step within {@code t} runs. */
    private int keep(Dispatch trial, SubBatchLoad g, double[] budget, int m, double fixedSec, double t, boolean pipeline) {
        int k = 0;
        for (int i = 0; i < m; i++) {
            int c = (int) sorted[i];
            if (budget[c] >= t) ctxs[k++] = sorted[i] >>> 32;
        }
        trial.begin(g, ctxs, k, fixedSec, false, Double.NaN, pipeline);
        if (trial.gpuOnlySec() > t) return 0;
        for (int i = 0; i < k; i++) {
            trial.add(ctxs[i]);
            if (trial.lastStepSec() > t) return i;
        }
        return k;
    }
}
