package org.apexbench.engine.runtime;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Scheduler;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.plan.PlanBusy;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.predict.ProfilePredictor;
import org.apexbench.engine.predict.RecalibratingPredictor;
import org.apexbench.engine.sim.SimRun;

import org.apexbench.workloads.RequestSpec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Online recalibration: the factors, the scaled predictions, and that a plan's predicted busy time is what the executor measures. */
class RecalibrationTest {

    @Test
    void factorsConvergeToTheMeasuredOverPredictedRatioPerSide() {
        RecalibratingPredictor r = new RecalibratingPredictor(Predictor.of(ScriptedSchedulerTest.COST));
        assertEquals(1, r.gpuFactor());
        assertEquals(1, r.cpuFactor());
        for (int i = 0; i < 200; i++) r.observe(0.05 + 0.001 * (i % 7), 1.1 * (0.05 + 0.001 * (i % 7)), 0.02, 0.06);
        assertEquals(1.1, r.gpuFactor(), 1e-9);
        assertEquals(3.0, r.cpuFactor(), 1e-9);
        assertEquals(200, r.observations());
    }

    /**
     * Over the profile's tables the decorator calls them through their final class (so the JIT can inline them into the
     * scheduler without a type profile; docs/engines.md, the decision-time paragraph): that path must answer exactly as
     * the interface path over the same tables, and must be the one taken.
     */
    @Test
    void theProfileTablesAreCalledThroughTheirFinalClassWithTheSameAnswers() throws Exception {
        Predictor tables = ProfilePredictionTest.predictor();
        assertTrue(tables instanceof ProfilePredictor && java.lang.reflect.Modifier.isFinal(tables.getClass().getModifiers()));
        Predictor hidden = new Predictor() {   // the same tables, reachable through the interface only
            @Override public double linear(int rows) { return tables.linear(rows); }
            @Override public double prefillAttention(int n, int s, long pairs) { return tables.prefillAttention(n, s, pairs); }
            @Override public double gpuDecodeAttention(int r, long ctx) { return tables.gpuDecodeAttention(r, ctx); }
            @Override public double cpuDecodeAttention(int r, long ctx) { return tables.cpuDecodeAttention(r, ctx); }
            @Override public double d2h(long bytes, int transfers) { return tables.d2h(bytes, transfers); }
            @Override public double h2d(long bytes, int transfers) { return tables.h2d(bytes, transfers); }
            @Override public double embedAndHead(int rows, int sampled) { return tables.embedAndHead(rows, sampled); }
        };
        RecalibratingPredictor direct = new RecalibratingPredictor(tables), viaInterface = new RecalibratingPredictor(hidden);
        var field = RecalibratingPredictor.class.getDeclaredField("tables");
        field.setAccessible(true);
        assertTrue(field.getType() == ProfilePredictor.class && field.get(direct) == tables && field.get(viaInterface) == null,
                "the decorator must hold the profile's tables in a field of their final class");
        direct.observe(0.04, 0.05, 0.02, 0.03);
        viaInterface.observe(0.04, 0.05, 0.02, 0.03);
        for (int rows : new int[] {0, 1, 7, 64, 300, 2048}) {
            assertEquals(viaInterface.linear(rows), direct.linear(rows));
            assertEquals(viaInterface.embedAndHead(rows, Math.min(rows, 5)), direct.embedAndHead(rows, Math.min(rows, 5)));
            for (long ctx : new long[] {16, 900, 40_000}) {
                assertEquals(viaInterface.gpuDecodeAttention(rows, ctx * rows), direct.gpuDecodeAttention(rows, ctx * rows));
                assertEquals(viaInterface.cpuDecodeAttention(rows, ctx * rows), direct.cpuDecodeAttention(rows, ctx * rows));
                assertEquals(viaInterface.prefillAttention(rows, Math.min(rows, 3), ctx * rows), direct.prefillAttention(rows, Math.min(rows, 3), ctx * rows));
                assertEquals(viaInterface.d2h(ctx * 4096, 1 + rows % 3), direct.d2h(ctx * 4096, 1 + rows % 3));
            }
        }
        assertEquals(1.25 * tables.linear(64), direct.linear(64), 1e-15);
    }

    @Test
    void recentIterationsOutweighOldOnesSoAChangedHostIsLearnt() {
        RecalibratingPredictor r = new RecalibratingPredictor(Predictor.of(ScriptedSchedulerTest.COST), 0.9);
        for (int i = 0; i < 100; i++) r.observe(1, 1, 1, 1);
        for (int i = 0; i < 60; i++) r.observe(1, 1, 1, 2);   // the host became twice as slow
        assertEquals(2, r.cpuFactor(), 0.01);
        assertEquals(1, r.gpuFactor(), 1e-12);
    }

    @Test
    void aSidePredictedIdleSaysNothingAndFactorsAreClamped() {
        RecalibratingPredictor r = new RecalibratingPredictor(Predictor.of(ScriptedSchedulerTest.COST));
        r.observe(0, 5, 0, 5);
        assertEquals(1, r.gpuFactor());
        assertEquals(1, r.cpuFactor());
        assertEquals(0, r.cpuObservations());
        r.observe(1, 100, 1, 0.001);
        assertEquals(RecalibratingPredictor.MAX_FACTOR, r.gpuFactor());
        assertEquals(RecalibratingPredictor.MIN_FACTOR, r.cpuFactor());
        r.observe(1, Double.NaN, Double.POSITIVE_INFINITY, 1);
        assertEquals(1, r.gpuObservations());
        assertEquals(1, r.cpuObservations());
    }

    @Test
    void aDecayOutsideTheOpenUnitIntervalIsRefused() {
        for (double d : new double[] {0, 1, -0.5, Double.NaN}) {
            var e = assertThrows(IllegalArgumentException.class, () -> new RecalibratingPredictor(Predictor.of(ScriptedSchedulerTest.COST), d));
            assertTrue(e.getMessage().contains("decay"), e.getMessage());
        }
    }

    @Test
    void calibratedPredictionsScaleEachSideByItsFactor() {
        Predictor base = Predictor.of(ScriptedSchedulerTest.COST);
        RecalibratingPredictor c = new RecalibratingPredictor(base);
        for (int i = 0; i < 100; i++) c.observe(1, 2, 1, 0.5);
        assertEquals(base, c.base());
        assertEquals(2 * base.linear(64), c.linear(64), 1e-15);
        assertEquals(2 * base.gpuDecodeAttention(8, 4000), c.gpuDecodeAttention(8, 4000), 1e-15);
        assertEquals(2 * base.prefillAttention(100, 2, 5000), c.prefillAttention(100, 2, 5000), 1e-15);
        assertEquals(2 * base.embedAndHead(64, 10), c.embedAndHead(64, 10), 1e-15);
        assertEquals(0.5 * base.cpuDecodeAttention(8, 4000), c.cpuDecodeAttention(8, 4000), 1e-15);
        assertEquals(base.d2h(1 << 20, 2), c.d2h(1 << 20, 2), 0);
        assertEquals(base.h2d(1 << 20, 2), c.h2d(1 << 20, 2), 0);
    }

    /**
     * The property recalibration rests on: with the simulator's own cost function as the predictor and no jitter,
     * a plan's predicted busy time per side equals what the executor measures, for every strategy (so a factor
     * away from 1 means the hardware, not the bookkeeping, differs from the tables).
     */
    @Test
    void planBusyPredictsExactlyWhatTheSimulatorMeasures() {
        Predictor p = Predictor.of(ScriptedSchedulerTest.COST);
        for (Strategy s : new Strategy[] {Strategy.GPU_ONLY, Strategy.ASYNC_OVERLAP, Strategy.ASYMMETRIC_PIPELINE,
                Strategy.SYMMETRIC_PIPELINE, Strategy.OFFLOAD_SERIAL}) {
            Scheduler inner = ScriptedSchedulerTest.scripted(s);
            List<double[]> seen = new ArrayList<>();
            Scheduler checking = new Scheduler() {
                PlanBusy predicted;

                @Override public IterationPlan plan(SchedulerContext ctx) {
                    IterationPlan plan = inner.plan(ctx);
                    predicted = PlanBusy.predict(plan, p, ctx.geometry().layers());
                    return plan;
                }

                @Override public void observe(IterationPlan plan, IterationOutcome out) {
                    seen.add(new double[] {predicted.gpuSec(), out.gpuBusySec(), predicted.cpuSec(), out.cpuBusySec()});
                }
            };
            // the scripted GPU-only plan never runs host requests (odd indices): give it one GPU request
            List<RequestSpec> reqs = s == Strategy.GPU_ONLY ? ScriptedSchedulerTest.reqs(1) : ScriptedSchedulerTest.reqs(10);
            RunResult res = SimRun.simulate(new Engine("checking", "checking", () -> checking, 0), ScriptedSchedulerTest.GEO,
                    ScriptedSchedulerTest.COST, p, ScriptedSchedulerTest.B, reqs, 1, 0, RecordOptions.DEFAULT);
            assertEquals(List.of(), RunChecks.requests(reqs, res), s.name());
            assertEquals(res.iterations().size(), seen.size(), s + ": observe must be called once per iteration");
            boolean cpuSeen = false;
            for (double[] v : seen) {
                assertEquals(v[1], v[0], 1e-9 * Math.max(1, v[1]), s + " GPU busy");
                assertEquals(v[3], v[2], 1e-9 * Math.max(1, v[3]), s + " CPU busy");
                cpuSeen |= v[3] > 0;
            }
            assertEquals(s != Strategy.GPU_ONLY, cpuSeen, s + ": CPU attention ran");
        }
    }
}
