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
 * A pass adds its candidates in one loop that keeps the decision's state in locals ({@link Dispatch#add(long[], int, int)});
 * the reference adds them one at a time. On random decisions (T4 tables, 0-600 candidates split into runs of random
 * length, must-run prefixes with and without a TPOT SLO, trial adds saved and undone between runs, NEO packing and
 * AP on or off), every intermediate and final choice is the reference's to the bit, so the loop hands its whole state
 * on between calls.
 */
class DispatchBatchTest {
    @Test
    void runsOfCandidatesChooseAsCandidatesAddedOneAtATime() {
        ModelGeometry model = ModelPresets.geometry("llama-2-7b");
        var hw = HardwareSpecs.builtIn("t4-g4dn.4xlarge");
        EngineBudgets b = new EngineBudgets(1024, 2048, 236, 200_000, 16);
        RecalibratingPredictor p = new RecalibratingPredictor(new ProfilePredictor(SimSetup.profile(hw, model, b)));
        SplittableRandom rnd = new SplittableRandom(17);
        for (int trial = 0; trial < 300; trial++) {
            boolean packing = rnd.nextBoolean(), pipeline = rnd.nextInt(5) > 0, requireCpu = rnd.nextInt(6) == 0;
            double slo = rnd.nextBoolean() ? Double.NaN : 0.05 + rnd.nextDouble() * 0.3;
            Dispatch batch = new Dispatch(p, model.layers(), model.qkvBytesPerToken(), model.attnOutBytesPerToken(), 0.02, packing);
            Dispatch single = new Dispatch(p, model.layers(), model.qkvBytesPerToken(), model.attnOutBytesPerToken(), 0.02, packing);
            int n = rnd.nextInt(4) == 0 ? rnd.nextInt(601) : rnd.nextInt(40);
            long[] ctx = new long[n];
            for (int i = 0; i < n; i++) ctx[i] = 1 + rnd.nextInt(3000);
            SubBatchLoad g = DispatchTest.gpuRows(p, rnd.nextInt(6), 1 + rnd.nextInt(3000));
            g.prefillAttention = rnd.nextBoolean() ? 0 : rnd.nextDouble() * 1e-3;
            for (Dispatch d : new Dispatch[] {batch, single}) d.begin(g, ctx, n, 0.001, requireCpu, slo, pipeline);
            int from = 0;
            while (from < n) {
                int count = 1 + rnd.nextInt(Math.min(n - from, 1 + rnd.nextInt(200)));
                int must = rnd.nextInt(3) == 0 ? rnd.nextInt(count + 1) : 0;
                batch.add(java.util.Arrays.copyOfRange(ctx, from, from + count), count, must);
                for (int i = 0; i < count; i++) single.add(ctx[from + i], i < must);
                from += count;
                String where = "trial " + trial + " after " + from + " of " + n;
                PrefixSweepTest.assertSame(single.result(new Dispatch.Choice()), batch.result(new Dispatch.Choice()), where);
                if (rnd.nextInt(3) == 0) {
                    // a host admission's trial row, undone
                    long extra = 1 + rnd.nextInt(3000);
                    boolean must2 = rnd.nextBoolean();
                    for (Dispatch d : new Dispatch[] {batch, single}) { d.save(); d.add(extra, must2); }
                    PrefixSweepTest.assertSame(single.result(new Dispatch.Choice()), batch.result(new Dispatch.Choice()), where + " with a trial row");
                    for (Dispatch d : new Dispatch[] {batch, single}) d.restore();
                }
            }
            assertEquals(single.candidates(), batch.candidates(), "trial " + trial);
        }
    }
}
