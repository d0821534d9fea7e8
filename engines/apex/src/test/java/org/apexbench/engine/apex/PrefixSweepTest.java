package org.apexbench.engine.apex;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.plan.SubBatchLoad;
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
 * The passes of one decision read one prefix sweep ({@link PrefixSweep}); a dispatcher that sweeps at every begin is
 * the reference. On random decisions (T4 tables, 0-600 candidates, GPU rows that change between passes as admissions
 * add prefills, trial adds past the swept candidates, a recalibration between decisions, a candidate list that
 * changes, SLOs and must-run candidates), every pass over the shared sweep gives the reference's choice to the bit.
 */
class PrefixSweepTest {
    @Test
    void passesOverASharedSweepChooseAsPassesThatSweepThemselves() {
        ModelGeometry model = ModelPresets.geometry("llama-2-7b");
        var hw = HardwareSpecs.builtIn("t4-g4dn.4xlarge");
        EngineBudgets b = new EngineBudgets(1024, 2048, 236, 200_000, 16);
        RecalibratingPredictor p = new RecalibratingPredictor(new ProfilePredictor(SimSetup.profile(hw, model, b)));
        SplittableRandom rnd = new SplittableRandom(11);
        for (int trial = 0; trial < 300; trial++) {
            boolean packing = rnd.nextBoolean(), pipeline = rnd.nextInt(5) > 0, requireCpu = rnd.nextInt(6) == 0;
            double slo = rnd.nextBoolean() ? Double.NaN : 0.05 + rnd.nextDouble() * 0.3;
            PrefixSweep sweep = new PrefixSweep(p);
            Dispatch shared = new Dispatch(p, model.layers(), model.qkvBytesPerToken(), model.attnOutBytesPerToken(), 0.02, packing, sweep);
            Dispatch other = new Dispatch(p, model.layers(), model.qkvBytesPerToken(), model.attnOutBytesPerToken(), 0.02, packing, sweep);
            int n = rnd.nextInt(4) == 0 ? rnd.nextInt(601) : rnd.nextInt(40);
            long[] ctx = new long[n + 1];
            for (int i = 0; i < n; i++) ctx[i] = 1 + rnd.nextInt(3000);
            int mustRun = Double.isNaN(slo) ? 0 : rnd.nextInt(n + 1);
            SubBatchLoad g = DispatchTest.gpuRows(p, rnd.nextInt(6), 1 + rnd.nextInt(3000));
            for (int pass = 0; pass < 4; pass++) {
                String where = "trial " + trial + " pass " + pass;
                if (pass == 1) g.prefillAttention += rnd.nextDouble() * 1e-3;   // an admission's prefill joins the GPU rows
                if (pass == 2 && rnd.nextBoolean()) {
                    // the next decision, after an iteration that moved the CPU factor: its owner clears the sweep
                    p.observe(1, 1, 1, 0.5 + rnd.nextDouble());
                    sweep.clear();
                }
                if (pass == 3 && n > 0) ctx[rnd.nextInt(n)] += 1 + rnd.nextInt(50);   // another decision's candidates
                Dispatch d = pass == 2 ? other : shared;
                Dispatch reference = new Dispatch(p, model.layers(), model.qkvBytesPerToken(), model.attnOutBytesPerToken(), 0.02, packing);
                assertSame(reference.choose(g, ctx, n, mustRun, 0.001, requireCpu, slo, pipeline, new Dispatch.Choice()),
                        d.choose(g, ctx, n, mustRun, 0.001, requireCpu, slo, pipeline, new Dispatch.Choice()), where);
                // a host admission's trial row past the swept candidates, then undone
                long extra = 1 + rnd.nextInt(3000);
                for (Dispatch x : new Dispatch[] {reference, d}) { x.save(); x.add(extra, !Double.isNaN(slo)); }
                assertSame(reference.result(new Dispatch.Choice()), d.result(new Dispatch.Choice()), where + " with a trial row");
                for (Dispatch x : new Dispatch[] {reference, d}) { x.restore(); x.add(ctx[0] + 1); }
                assertSame(reference.result(new Dispatch.Choice()), d.result(new Dispatch.Choice()), where + " after the undo");
            }
        }
    }

    private static void assertSame(Dispatch.Choice expected, Dispatch.Choice actual, String where) {
        assertEquals(expected.strategy, actual.strategy, where);
        assertEquals(expected.cpuCount, actual.cpuCount, where);
        assertEquals(expected.packed, actual.packed, where);
        assertEquals(Double.doubleToRawLongBits(expected.predictedSec), Double.doubleToRawLongBits(actual.predictedSec), where);
        assertEquals(Double.doubleToRawLongBits(expected.rate), Double.doubleToRawLongBits(actual.rate), where);
        assertEquals(Double.doubleToRawLongBits(expected.tpotSec), Double.doubleToRawLongBits(actual.tpotSec), where);
        assertEquals(expected.used.length, actual.used.length, where);
        assertEquals(java.util.Arrays.toString(expected.used), java.util.Arrays.toString(actual.used), where);
        assertEquals(java.util.Arrays.toString(expected.inB0), java.util.Arrays.toString(actual.inB0), where);
    }
}
