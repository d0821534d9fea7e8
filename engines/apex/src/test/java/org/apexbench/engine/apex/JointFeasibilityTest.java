package org.apexbench.engine.apex;

import org.apexbench.engine.Strategy;
import org.apexbench.engine.plan.SubBatchLoad;
import org.apexbench.engine.predict.Predictor;
import org.junit.jupiter.api.Test;

import static org.apexbench.engine.apex.DispatchTest.gpuRows;
import static org.apexbench.engine.apex.DispatchTest.tables;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The joint-feasibility test ({@link JointFeasibility}): two host candidates whose slacks run out together, each of
 * which fits the TPOT objective S beside the GPU rows alone but not both in one step. Each waits by rows per second
 * (its CPU path is far longer than the GPU's), so without the test both would reach zero slack together and every
 * step that runs both would miss S; with it the first runs now.
 */
class JointFeasibilityTest {
    // 1.7 ms linear per layer, 3 GPU rows of 1K tokens, CPU 80 ns a token a layer: a 30K-token host row costs 2.4 ms a
    // layer, so AO steps 55 ms alone (GPU-only), 131 ms with one and 208 ms with two; AP's split 154 ms with two
    private static final Predictor P = tables(1.7, 10, 8);
    private static final long[] TWO = {30_000, 30_000};

    private static Dispatch.Choice choose(long[] cpu, double slo, boolean pipeline) {
        SubBatchLoad g = gpuRows(P, 3, 1000);
        return new Dispatch(P, 32, 0, 0).choose(g, cpu, cpu.length, 0, 0, false, slo, pipeline, new Dispatch.Choice());
    }

    @Test
    void twoCandidatesWhoseJointStepMissesTheObjectiveRunTheFirstNow() {
        for (boolean pipeline : new boolean[] {false, true}) {
            Dispatch.Choice c = choose(TWO, 0.15, pipeline);
            assertTrue(c.used[0], "the first of the pair runs now (pipeline " + pipeline + ")");
            assertFalse(c.used[1], "the second cannot run beside it within S");
            assertTrue(c.predictedSec <= 0.15, c.predictedSec + " s");
            assertEquals(c.predictedSec, c.tpotSec, "a plan that meets S, no overload");
        }
    }

    @Test
    void aCandidateWaitsWhileItsJointStepMeetsTheObjective() {
        // S 0.25 s: both fit one step, so both may wait while GPU-only is the most rows per second
        Dispatch.Choice loose = choose(TWO, 0.25, true);
        assertEquals(Strategy.GPU_ONLY, loose.strategy);
        // one candidate alone, S 0.15 s: it fits, nothing after it can break S, it waits
        Dispatch.Choice alone = choose(new long[] {30_000}, 0.15, true);
        assertEquals(Strategy.GPU_ONLY, alone.strategy);
    }

    @Test
    void withoutAnObjectiveNothingChanges() {
        Dispatch.Choice none = choose(TWO, Double.NaN, true);
        assertEquals(Strategy.GPU_ONLY, none.strategy);
    }

    @Test
    void itFiresOnceAtTheFirstPrefixOverTheObjective() {
        JointFeasibility j = new JointFeasibility();
        j.begin();
        assertEquals(0, j.mustRun(1, 0.1, 0.15, 0));
        assertEquals(0, j.mustRun(2, 0.14, 0.15, 0));
        assertEquals(2, j.mustRun(3, 0.2, 0.15, 0), "the prefix before the first over S must run");
        assertEquals(0, j.mustRun(4, 0.3, 0.15, 0), "once per decision");
        j.begin();
        assertEquals(5, j.mustRun(3, 0.2, 0.15, 5), "never fewer than the candidates already at zero slack");
        j.begin();
        assertEquals(0, j.mustRun(1, 0.2, 0.15, 0), "a first candidate over S alone: nothing can run within S");
    }
}
