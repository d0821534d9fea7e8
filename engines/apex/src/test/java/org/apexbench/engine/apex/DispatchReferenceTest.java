package org.apexbench.engine.apex;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.plan.SubBatchLoad;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.predict.ProfilePredictor;
import org.apexbench.engine.predict.RecalibratingPredictor;
import org.apexbench.engine.sim.SimSetup;
import org.apexbench.model.ModelPresets;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.model.ModelGeometry;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The dispatch's prefix candidates against a reference that computes them the plain way: every prefix's AO time and
 * AP's greedy split looked up afresh (both sub-batches' linear times for every candidate, no remembered value), the
 * rows-per-second prefixes tracked whether or not an SLO reads them, and the argmax with the margin (per added row
 * under an SLO), the must-run
 * candidates and the overload fallback. On random decisions (T4 and A10G tables through a recalibrated predictor, 0-600
 * candidates, GPU rows with and without prefills, SLOs and must-run candidates, the starvation guard) the dispatch
 * chooses what the reference chooses, to the bit.
 */
class DispatchReferenceTest {
    @Test
    void prefixCandidatesChooseAsTheReferenceComputation() {
        ModelGeometry model = ModelPresets.geometry("llama-2-7b");
        SplittableRandom rnd = new SplittableRandom(23);
        String[] gpus = {"t4-g4dn.4xlarge", "a10g-g5.8xlarge"};
        EngineBudgets[] budgets = {new EngineBudgets(1024, 2048, 236, 200_000, 16), new EngineBudgets(1024, 2048, 900, 300_000, 16)};
        RecalibratingPredictor[] predictors = new RecalibratingPredictor[2];
        for (int h = 0; h < 2; h++) {
            predictors[h] = new RecalibratingPredictor(new ProfilePredictor(SimSetup.profile(HardwareSpecs.builtIn(gpus[h]), model, budgets[h])));
        }
        for (int trial = 0; trial < 400; trial++) {
            RecalibratingPredictor p = predictors[rnd.nextInt(2)];
            if (rnd.nextInt(4) == 0) p.observe(1, 0.5 + rnd.nextDouble(), 1, 0.5 + rnd.nextDouble());
            boolean pipeline = rnd.nextInt(5) > 0, requireCpu = rnd.nextInt(6) == 0;
            double slo = rnd.nextBoolean() ? Double.NaN : 0.03 + rnd.nextDouble() * 0.3;
            int n = rnd.nextInt(4) == 0 ? rnd.nextInt(601) : rnd.nextInt(60);
            long[] ctx = new long[n];
            for (int i = 0; i < n; i++) ctx[i] = 1 + rnd.nextInt(3000);
            int mustRun = Double.isNaN(slo) ? 0 : rnd.nextInt(n + 1);
            SubBatchLoad g = DispatchTest.gpuRows(p, rnd.nextInt(12), 1 + rnd.nextInt(3000));
            if (rnd.nextBoolean()) {
                int tokens = 1 + rnd.nextInt(2000);
                g.width += tokens;
                g.sampled += 1;
                g.rows += 1;
                g.prefillAttention += rnd.nextDouble() * 2e-3;
            }
            double fixed = rnd.nextInt(3) == 0 ? rnd.nextDouble() * 0.01 : 0;
            Dispatch d = new Dispatch(p, model.layers(), model.qkvBytesPerToken(), model.attnOutBytesPerToken(),
                    rnd.nextInt(3) == 0 ? 0.02 : rnd.nextDouble() * 0.1, false);
            double gpuOnlySec = d.choose(g, ctx, 0, fixed, false, slo, pipeline, new Dispatch.Choice()).predictedSec;
            Dispatch.Choice actual = d.choose(g, ctx, n, mustRun, fixed, requireCpu, slo, pipeline, new Dispatch.Choice());
            Reference expected = new Reference(d, p, g, gpuOnlySec, slo, requireCpu, mustRun);
            for (int i = 0; i < n; i++) expected.add(ctx[i]);
            expected.result();
            String where = "trial " + trial + ": " + n + " candidates, SLO " + slo + ", must run " + mustRun;
            assertEquals(expected.strategy, actual.strategy, where);
            assertEquals(expected.cpuCount, actual.cpuCount, where);
            assertEquals(Double.doubleToRawLongBits(expected.predictedSec), Double.doubleToRawLongBits(actual.predictedSec), where);
            for (int i = 0; i < n; i++) {
                assertEquals(i < expected.cpuCount, actual.used[i], where + ", candidate " + i + " runs");
                if (actual.strategy == Strategy.ASYMMETRIC_PIPELINE && i < expected.cpuCount) {
                    assertEquals(expected.inB0[i], actual.inB0[i], where + ", candidate " + i + " in B0");
                }
            }
        }
    }

    /** The prefix candidates computed the plain way, through the dispatch's own closed forms ({@link Dispatch#pipelined} and so on). */
    private static final class Reference {
        final Dispatch d;
        final Predictor p;
        final SubBatchLoad g;
        final double gpuOnlySec, slo, margin;
        final boolean requireCpu;
        final int mustRunGiven;
        int k, mustRun, w0, n0, n1;
        long aoCtx, c0, c1;
        double l0, l1, cp0, cp1;
        boolean[] side = new boolean[0], inB0;
        int bestAo, bestAp, plainAo, plainAp;
        double bestAoScore = Double.NEGATIVE_INFINITY, bestApScore = Double.NEGATIVE_INFINITY, bestAoT, bestApT;
        double plainAoScore = Double.NEGATIVE_INFINITY, plainApScore = Double.NEGATIVE_INFINITY, plainAoT, plainApT;
        Strategy strategy;
        int cpuCount;
        double predictedSec;

        Reference(Dispatch d, Predictor p, SubBatchLoad g, double gpuOnlySec, double slo, boolean requireCpu, int mustRun) {
            this.d = d;
            this.p = p;
            this.g = g;
            this.gpuOnlySec = gpuOnlySec;
            this.slo = slo;
            this.requireCpu = requireCpu;
            this.mustRunGiven = mustRun;
            this.margin = d.margin();
            w0 = g.width;
            l0 = g.linear(p);
        }

        void add(long c) {
            if (k < mustRunGiven && Double.isFinite(slo)) {
                mustRun = k + 1;
                bestAoScore = bestApScore = Double.NEGATIVE_INFINITY;
            }
            k++;
            aoCtx += c;
            double t = d.whole(d.overlapped(p.linear(g.width + k), d.cpuPath(k, aoCtx)), k);
            double sc = score(g.rows + k, t, k);
            if (better(sc, g.rows + k, bestAoScore, g.rows + bestAo)) { bestAoScore = sc; bestAo = k; bestAoT = t; }
            if (better((g.rows + k) / t, plainAoScore)) { plainAoScore = (g.rows + k) / t; plainAo = k; plainAoT = t; }
            if (!d.pipelineAllowed()) return;
            side = java.util.Arrays.copyOf(side, k);
            double row = d.splitRowCost(c);
            double l1b = p.linear(n1 + 1), cp1a = n1 == 0 ? d.splitFirstRowFixed() + row : cp1 + row;
            double l0b = p.linear(w0 + 1), cp0a = n0 == 0 ? d.splitFirstRowFixed() + row : cp0 + row;
            double tB1 = d.pipelined(l0, l1b, cp0, cp1a);
            double tB0 = n1 == 0 ? Double.POSITIVE_INFINITY : d.pipelined(l0b, l1, cp0a, cp1);
            if (tB1 <= tB0) { n1++; c1 += c; l1 = l1b; cp1 = d.cpuPath(n1, c1); }
            else { side[k - 1] = true; n0++; w0++; c0 += c; l0 = l0b; cp0 = d.cpuPath(n0, c0); }
            t = d.whole(d.pipelined(l0, l1, cp0, cp1), k);
            sc = score(g.rows + k, t, k);
            if (better(sc, g.rows + k, bestApScore, g.rows + bestAp)) { bestApScore = sc; bestAp = k; bestApT = t; }
            if (better((g.rows + k) / t, plainApScore)) { plainApScore = (g.rows + k) / t; plainAp = k; plainApT = t; }
        }

        void result() {
            strategy = Strategy.GPU_ONLY;
            cpuCount = 0;
            predictedSec = gpuOnlySec;
            double best = requireCpu && k > 0 ? Double.NEGATIVE_INFINITY : score(g.rows, gpuOnlySec, 0);
            pick(best, bestAoScore, bestAo, bestAoT, bestApScore, bestAp, bestApT);
            double tpot = cpuCount < mustRun ? Double.POSITIVE_INFINITY : predictedSec;
            if (Double.isFinite(slo) && tpot > slo && k > 0) {
                strategy = Strategy.GPU_ONLY;
                cpuCount = 0;
                predictedSec = gpuOnlySec;
                pick(requireCpu || g.rows == 0 ? Double.NEGATIVE_INFINITY : g.rows / gpuOnlySec,
                        plainAoScore, plainAo, plainAoT, plainApScore, plainAp, plainApT);
            }
        }

        private void pick(double best, double aoScore, int ao, double aoT, double apScore, int ap, double apT) {
            int bestRows = g.rows;
            if (better(aoScore, g.rows + ao, best, bestRows)) {
                best = aoScore; bestRows = g.rows + ao; strategy = Strategy.ASYNC_OVERLAP; cpuCount = ao; predictedSec = aoT;
            }
            if (better(apScore, g.rows + ap, best, bestRows)) { strategy = Strategy.ASYMMETRIC_PIPELINE; cpuCount = ap; predictedSec = apT; }
            inB0 = java.util.Arrays.copyOf(side, Math.max(side.length, k));
        }

        private double score(int rows, double t, int cpuRows) {
            if (rows == 0) return Double.NEGATIVE_INFINITY;
            double tpot = cpuRows < mustRun ? Double.POSITIVE_INFINITY : t;
            return Double.isFinite(slo) && tpot > slo ? -tpot : rows / t;
        }

        /** With an SLO, a plan with more rows than the best pays the margin on its added rows' time per row. */
        private boolean better(double s, int rows, double best, int bestRows) {
            if (Double.isFinite(slo) && s > 0 && best > 0 && rows > bestRows && bestRows > 0) {
                double perRow = (rows / s - bestRows / best) / (rows - bestRows);
                return perRow < (1 - margin) * (bestRows / best) / bestRows;
            }
            return better(s, best);
        }

        private boolean better(double s, double best) {
            return best == Double.NEGATIVE_INFINITY ? s > best : s > best + Math.abs(best) * margin;
        }
    }
}
