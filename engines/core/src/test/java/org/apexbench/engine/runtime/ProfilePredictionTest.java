package org.apexbench.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.predict.ProfilePredictor;
import org.apexbench.engine.sim.SimRun;
import org.apexbench.engine.sim.SimSetup;
import org.apexbench.model.ModelPresets;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.SubtaskTimer;
import org.apexbench.profiler.cost.RooflineCostModel;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.profiler.table.Profile;
import org.apexbench.profiler.table.ProfileFingerprint;
import org.apexbench.profiler.table.ProfileSweep;
import org.apexbench.profiler.table.ProfileTable;
import org.apexbench.profiler.table.SweepGrid;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * What schedulers predict from a profile, and how a simulated run is wired. The profile here is swept from a timer
 * that is linear (bilinear for decode attention) in its features, so the tables' interpolation and linear
 * extrapolation must give the timer's own value at every point, inside the grid or beyond it.
 */
class ProfilePredictionTest {
    static final HardwareSpec T4 = HardwareSpecs.builtIn("t4-g4dn.4xlarge");
    static final ModelGeometry MODEL = ModelPresets.geometry("tiny-llama3");

    static double pre(double rows) { return 1e-3 + 2e-5 * rows; }
    static double post(double rows) { return 2e-3 + 3e-5 * rows; }
    static double embed(double rows) { return 5e-4 + 1e-6 * rows; }
    static double head(double rows) { return 7e-4 + 4e-6 * rows; }
    static double prefill(double pairs) { return 1e-4 + 1e-7 * pairs; }
    static double gpuDecode(double req, double ctx) { return 1e-5 + 2e-6 * req + 3e-8 * ctx + 1e-9 * req * ctx; }
    /** Falls with context (not a real machine): extrapolated far enough it would go negative. */
    static double cpuDecode(double req, double ctx) { return 1e-3 + 1e-5 * req - 3e-6 * ctx; }
    static double h2d(double bytes) { return 1e-5 + bytes / 1e9; }
    static double d2h(double bytes) { return 2e-5 + bytes / 2e9; }

    static double timer(Op op, SubtaskFeatures f) {
        return switch (op) {
            case PRE -> pre(f.rows());
            case POST -> post(f.rows());
            case EMBED -> embed(f.rows());
            case LM_HEAD -> head(f.rows());
            case PREFILL_ATTN -> prefill(f.prefillPairs());
            case GPU_DECODE_ATTN -> gpuDecode(f.requests(), f.contextTokens());
            case CPU_DECODE_ATTN -> cpuDecode(f.requests(), f.contextTokens());
            case ATTN_OUT_H2D -> h2d(f.bytes());
            case QKV_D2H -> d2h(f.bytes());
            default -> 1e-6;
        };
    }

    static final ProfileFingerprint FP = new ProfileFingerprint("test", "gpu", "n/a", "cpu", 1, MODEL, "f32", "f32", 16, "sim");
    static final SweepGrid GRID = new SweepGrid(List.of(1, 4, 16, 64), List.of(1, 8), List.of(16, 64), List.of(1, 2, 8),
            List.of(16L, 64L, 256L), List.of(1, 2, 8), List.of(16L, 64L, 256L), List.of(1024L, 8192L), 0, 1);

    static Predictor predictor() { return new ProfilePredictor(ProfileSweep.sweep(ProfilePredictionTest::timer, GRID, FP, "linear timer")); }

    @Test
    void linearSubtasksAreInterpolatedAndExtrapolatedFromTheTables() {
        Predictor p = predictor();
        assertEquals(0, p.linear(0));
        for (int rows : new int[] {1, 3, 10, 64, 100, 1 << 14, 20_000, 3, 20_000}) {  // repeats hit the memo
            assertEquals(pre(rows) + post(rows), p.linear(rows), 1e-12, rows + " rows");
        }
        assertEquals(0, p.embedAndHead(0, 0));
        for (int[] q : new int[][] {{5, 2}, {64, 8}, {100, 12}, {5, 2}, {1 << 14, 1 << 14}, {30_000, 0}}) {
            assertEquals((q[0] == 0 ? 0 : embed(q[0])) + (q[1] == 0 ? 0 : head(q[1])), p.embedAndHead(q[0], q[1]), 1e-12,
                    q[0] + " rows, " + q[1] + " sampled");
        }
    }

    @Test
    void attentionIsPredictedOnItsFeaturesAndNothingForNoRows() {
        Predictor p = predictor();
        assertEquals(0, p.prefillAttention(16, 0, 136));
        for (long pairs : new long[] {136, 1000, 2080, 10_000}) assertEquals(prefill(pairs), p.prefillAttention(5, 1, pairs), 1e-12);
        assertEquals(0, p.gpuDecodeAttention(0, 50));
        assertEquals(0, p.cpuDecodeAttention(0, 50));
        // moving back and forth across the grid's cells: the remembered cell must never give a stale answer
        int[][] queries = {{1, 16}, {8, 256}, {2, 20}, {3, 100}, {1, 17}, {10, 300}, {5, 64}, {2, 64}, {8, 16}, {1, 16}};
        for (int[] q : queries) {
            assertEquals(gpuDecode(q[0], q[1]), p.gpuDecodeAttention(q[0], q[1]), 1e-12, "GPU " + q[0] + " x " + q[1]);
            assertEquals(cpuDecode(q[0], q[1]), p.cpuDecodeAttention(q[0], q[1]), 1e-12, "CPU " + q[0] + " x " + q[1]);
        }
        assertEquals(0, p.cpuDecodeAttention(1, 1000), "an extrapolation below zero is no time, never negative");
    }

    @Test
    void rememberedCellsGiveTheTablesOwnBitsOnInterleavedQueries() {
        // APEX queries CPU attention in interleaved sequences (a growing prefix, and one sub-batch per candidate)
        Profile profile = SimSetup.profile(T4, MODEL, new EngineBudgets(64, 512, 200, 4000, 16));
        Predictor p = new ProfilePredictor(profile);
        ProfileTable cpu = profile.table(Profile.CPU_DECODE_ATTN), gpu = profile.table(Profile.GPU_DECODE_ATTN);
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
        int[] rows = new int[3];
        long[] ctx = new long[3];
        for (int q = 0; q < 50_000; q++) {
            int s = rnd.nextInt(rnd.nextInt(4) == 0 ? 3 : 2);   // mostly two sequences, now and then a third
            if (rnd.nextInt(50) == 0) { rows[s] = 0; ctx[s] = 0; }
            rows[s] += 1 + (rnd.nextInt(20) == 0 ? rnd.nextInt(300) : 0);
            ctx[s] += rnd.nextInt(3000);
            int r = rnd.nextInt(100) == 0 ? rnd.nextInt(5000) + 1 : rows[s];   // sometimes far off the grid
            assertEquals(Double.doubleToRawLongBits(cpu.at(r, ctx[s])), Double.doubleToRawLongBits(p.cpuDecodeAttention(r, ctx[s])),
                    "CPU attention of " + r + " x " + ctx[s] + " at query " + q);
            assertEquals(Double.doubleToRawLongBits(gpu.at(r, ctx[s])), Double.doubleToRawLongBits(p.gpuDecodeAttention(r, ctx[s])),
                    "GPU attention of " + r + " x " + ctx[s] + " at query " + q);
        }
    }

    @Test
    void cellEdgesGiveTheTablesOwnBits() {
        // a remembered cell answers only inside its bounds (upper edges excluded, as the table's segment search); the
        // grid's points, their integer neighbours and points off the grid, each queried after a point of another cell
        Profile profile = SimSetup.profile(T4, MODEL, new EngineBudgets(64, 512, 200, 4000, 16));
        Predictor p = new ProfilePredictor(profile);
        for (String name : List.of(Profile.CPU_DECODE_ATTN, Profile.GPU_DECODE_ATTN)) {
            org.apexbench.profiler.table.Table2D t = (org.apexbench.profiler.table.Table2D) profile.table(name);
            java.util.function.ToDoubleBiFunction<Integer, Long> predicted = name.equals(Profile.CPU_DECODE_ATTN)
                    ? p::cpuDecodeAttention : p::gpuDecodeAttention;
            List<Integer> rows = new ArrayList<>(List.of(1, 2, 5000));
            for (double x : t.x()) for (int d = -1; d <= 1; d++) if (x + d >= 1) rows.add((int) x + d);
            List<Long> ctxs = new ArrayList<>(List.of(1L, 5L, 10_000_000L));
            for (double y : t.y()) for (int d = -1; d <= 1; d++) if (y + d >= 1) ctxs.add((long) y + d);
            int q = 0;
            for (int r : rows) {
                for (long c : ctxs) {
                    int r2 = rows.get(q % rows.size());
                    long c2 = ctxs.get((q * 7) % ctxs.size());
                    q++;
                    // the point, one of another cell, the point again (now from a remembered cell)
                    long[][] queries = {{r, c}, {r2, c2}, {r, c}};
                    for (long[] k : queries) {
                        assertEquals(Double.doubleToRawLongBits(t.at(k[0], k[1])),
                                Double.doubleToRawLongBits(predicted.applyAsDouble((int) k[0], k[1])), name + " of " + k[0] + " x " + k[1]);
                    }
                }
            }
        }
    }

    @Test
    void copiesOfSeveralTransfersCostEachTransfer() {
        Predictor p = predictor();
        assertEquals(0, p.h2d(0, 3));
        assertEquals(0, p.d2h(0, 3));
        assertEquals(h2d(4096), p.h2d(4096, 1), 1e-15);
        assertEquals(h2d(4096), p.h2d(4096, 0), 1e-15, "no transfer count is one transfer");
        assertEquals(4 * h2d(2048), p.h2d(8192, 4), 1e-15);
        assertEquals(4 * d2h(2048), p.d2h(8192, 4), 1e-15);
        assertEquals(2 * d2h(50_000), p.d2h(100_000, 2), 1e-15);
    }

    @Test
    void simulatedBudgetsComeFromTheHardwaresMemory() {
        long gpu = T4.gpu().memoryBytes();
        long block = KvCapacity.blockBytes(MODEL, 16);
        assertEquals(16 * MODEL.kvBytesPerToken(), block);
        // the GPU pool is vLLM's rule on the reported memory (its terms: GpuMemoryTest); here, that budgets take it whole
        EngineBudgets full = SimSetup.budgets(MODEL, T4, 0, 0.9, 1L << 30, 64, 512);
        assertEquals(SimSetup.gpuPool(MODEL, T4, 0, 0.9, 64, 512).blocks(), full.gpuKvBlocks());
        assertEquals((1L << 30) / block, full.hostKvBlocks());
        assertEquals(64, full.maxRunning());
        assertEquals(512, full.maxTokensPerIteration());
        EngineBudgets capped = SimSetup.budgets(MODEL, T4, gpu / 2, 0.9, 0, 64, 512);
        assertEquals(SimSetup.gpuPool(MODEL, T4, gpu / 2, 0.9, 64, 512).blocks(), capped.gpuKvBlocks());
        assertTrue(capped.gpuKvBlocks() < full.gpuKvBlocks(), "a cap below the GPU's memory shrinks the pool");
        assertEquals(0, capped.hostKvBlocks());
        assertEquals(full.gpuKvBlocks(), SimSetup.budgets(MODEL, T4, 4 * gpu, 0.9, 0, 64, 512).gpuKvBlocks(), "a cap above the GPU is the GPU");
        assertTrue(SimSetup.budgets(MODEL, T4, 0, 0.5, 0, 64, 512).gpuKvBlocks() < full.gpuKvBlocks(), "utilization scales the pool");
        assertEquals((long) (T4.host().memoryBytes() * SimSetup.DEFAULT_HOST_KV_FRACTION) / block,
                SimSetup.budgets(MODEL, T4, 0, 0.9, -1, 1, 1).hostKvBlocks(), "the default share of host memory");
    }

    @Test
    void aSimulatedRunSweepsItsProfileOnceAndRefusesAnotherSetupsProfile() {
        EngineBudgets b = new EngineBudgets(8, 64, 40, 40, 16);
        Profile swept = SimSetup.profile(T4, MODEL, b);
        assertSame(swept, SimSetup.profile(T4, MODEL, b), "swept once per setup");
        assertEquals(SimSetup.fingerprint(T4, MODEL, b), swept.fingerprint());
        RooflineCostModel roofline = new RooflineCostModel(T4, MODEL);
        SubtaskTimer cost = SimSetup.cost(T4, MODEL);
        assertEquals(roofline.seconds(Op.CPU_DECODE_ATTN, SubtaskFeatures.decode(3, 300)), cost.seconds(Op.CPU_DECODE_ATTN, SubtaskFeatures.decode(3, 300)));
        assertEquals(roofline.seconds(Op.PRE, SubtaskFeatures.linear(7)), cost.seconds(Op.PRE, SubtaskFeatures.linear(7)));
        Predictor p = ProfilePredictor.checked(swept, SimSetup.fingerprint(T4, MODEL, b), "test");
        assertEquals(swept.table(Profile.PRE).at(7) + swept.table(Profile.POST).at(7), p.linear(7), 1e-15);
        HardwareSpec a10 = HardwareSpecs.builtIn("a10g-g5.8xlarge");
        var e = assertThrows(RuntimeException.class, () -> ProfilePredictor.checked(swept, SimSetup.fingerprint(a10, MODEL, b), "supplied"));
        assertTrue(e.getMessage().contains("hardware") && e.getMessage().contains("a10g-g5.8xlarge"), e.getMessage());
    }

    static List<RequestSpec> requests() {
        List<RequestSpec> list = new ArrayList<>();
        for (int i = 0; i < 4; i++) list.add(new RequestSpec("r" + i, 0.01 * i, new int[32 + 8 * i], 6, SamplingParams.GREEDY));
        return list;
    }

    @Test
    void aSlowerSimulatedHostStretchesOnlyCpuAttention() {
        Engine e = new Engine("scripted", "scripted overlap", () -> ScriptedSchedulerTest.scripted(Strategy.ASYNC_OVERLAP), 0);
        EngineBudgets b = new EngineBudgets(8, 256, 40, 40, 16);
        RunResult base = SimRun.simulate(e, MODEL, T4, b, requests(), 0, 1, 0, RecordOptions.ALL, null, null, 1);
        RunResult slow = SimRun.simulate(e, MODEL, T4, b, requests(), 0, 1, 0, RecordOptions.ALL, null, null, 2.5);
        assertEquals(base.iterations().size(), slow.iterations().size(), "the scripted plans do not depend on time");
        SubtaskRecord firstCpu = null;
        for (SubtaskRecord s : base.subtasks()) if (s.op() == Op.CPU_DECODE_ATTN) { firstCpu = s; break; }
        assertTrue(firstCpu != null, "the scripted plan attends on the CPU");
        long it = firstCpu.iteration();
        List<SubtaskRecord> a = base.subtasks().stream().filter(s -> s.iteration() == it).toList();
        List<SubtaskRecord> c = slow.subtasks().stream().filter(s -> s.iteration() == it).toList();
        assertEquals(a.size(), c.size());
        for (int i = 0; i < a.size(); i++) {
            double da = a.get(i).endSec() - a.get(i).startSec(), dc = c.get(i).endSec() - c.get(i).startSec();
            assertEquals(a.get(i).op(), c.get(i).op());
            assertEquals(a.get(i).op() == Op.CPU_DECODE_ATTN ? 2.5 * da : da, dc, 1e-12, a.get(i).toString());
        }
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            var err = assertThrows(IllegalArgumentException.class,
                    () -> SimRun.simulate(e, MODEL, T4, b, requests(), 0, 1, 0, RecordOptions.DEFAULT, null, null, bad));
            assertTrue(err.getMessage().contains("CPU slowdown must be a positive finite factor"), err.getMessage());
        }
    }

    @Test
    void theSimulatedEntryPointsAgreeAndReportProgressAndClosedLoops() {
        Engine e = new Engine("scripted", "scripted", () -> ScriptedSchedulerTest.scripted(Strategy.ASYNC_OVERLAP), 0);
        EngineBudgets b = new EngineBudgets(8, 256, 40, 40, 16);
        RunResult shortest = SimRun.simulate(e, MODEL, T4, b, requests(), 1);
        RunResult full = SimRun.simulate(e, MODEL, T4, b, requests(), 0, 1, 0, RecordOptions.DEFAULT, null, null, 1);
        assertEquals(full.requests(), shortest.requests());
        assertEquals("sim", shortest.executor());
        assertEquals(List.of(), shortest.subtasks(), "the short form keeps iteration records only");
        List<Integer> done = new ArrayList<>();
        SimRun.simulate(e, MODEL, T4, b, requests(), 0, 1, 0, RecordOptions.DEFAULT, null, (d, total) -> done.add(d));
        assertEquals(4, done.getLast());
        RunResult closed = SimRun.simulate(e, MODEL, T4, b, requests(), 1, 1, 0, RecordOptions.DEFAULT, null);
        for (int i = 1; i < 4; i++) {
            double[] prev = closed.requests().get(i - 1).tokenTimesSec();
            assertEquals(prev[prev.length - 1], closed.requests().get(i).arrivalSec(), 1e-12, "one client: each request after the last");
        }
        Profile supplied = SimSetup.profile(T4, MODEL, b);
        assertEquals(full.requests(), SimRun.simulate(e, MODEL, T4, b, requests(), 0, 1, 0, RecordOptions.DEFAULT, supplied, null, 1)
                .requests(), "a supplied profile of the same setup runs the same");
    }
}
