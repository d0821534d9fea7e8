package org.apexbench.engine.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.AnalyticCost;
import org.apexbench.engine.runtime.Executor;
import org.apexbench.engine.runtime.RunChecks;
import org.apexbench.engine.runtime.SchedulerSnapshot;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.Resource;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * The simulated executor's accounting against its own records, for every strategy: what it reports busy, moved,
 * swapped and when it ends is what its subtask records add up to; the records have the layer structure the plan
 * asks for (one PRE and POST per layer and sub-batch, CPU attention of exactly the CPU rows, host-prefill KV
 * streamed every layer, swaps before the layer stack, launches only in NEO's single-thread runtime); and its
 * jitter is seeded with mean one.
 */
class SimulatedAccountingTest {
    /** 3 layers; per token and layer 1000 KV bytes, 300 q/k/v bytes and 100 attention-output bytes (one 100-wide head,
     *  5-byte KV elements, 1-byte activations). */
    static final ModelGeometry GEO = new ModelGeometry("m", 3, 8, 8, 1, 1, 100, 8, 4096, false, 1, 5, 1);
    static final EngineBudgets B = new EngineBudgets(16, 512, 40, 40, 16);
    static final AnalyticCost COST = new AnalyticCost(405e6, 405e6, 16384, 16384, 262e6, 250e9, 45e12, 60e9, 12e9, 10e-6, 8e-6, 50e-6);
    static final Predictor FLAT = Predictor.of((op, f) -> 1e-3);

    /** A mixed iteration: a completing GPU prefill, a partial host prefill, two GPU and three CPU decodes, and two swaps. */
    record Mixed(IterationPlan plan, List<Executor.SwapMove> swaps, long cpuContext0, long cpuContext1, long gpuContext) {}

    static RequestSpec spec(String id, int prompt, int out) { return new RequestSpec(id, 0, new int[prompt], out, SamplingParams.GREEDY); }

    static Mixed mixed(Strategy strategy) {
        SchedulerSnapshot s = new SchedulerSnapshot(GEO, B, FLAT);
        RequestState w = s.addWaiting(spec("w", 40, 4));
        RequestState h = s.addWaiting(spec("h", 40, 4));
        RequestState g1 = s.addDecoding(spec("g1", 30, 8), Location.GPU, 2, 0);
        RequestState g2 = s.addDecoding(spec("g2", 50, 8), Location.GPU, 1, 0);
        RequestState c1 = s.addDecoding(spec("c1", 20, 8), Location.HOST, 3, 0);
        RequestState c2 = s.addDecoding(spec("c2", 60, 8), Location.HOST, 1, 0);
        RequestState c3 = s.addDecoding(spec("c3", 10, 8), Location.HOST, 5, 0);
        boolean cpu = strategy != Strategy.GPU_ONLY;
        List<RequestState> cpuRows = cpu ? List.of(c1, c2, c3) : List.of();
        IterationPlan plan = new IterationPlan(List.of(PrefillChunk.of(w, 40, Location.GPU), PrefillChunk.of(h, 24, Location.HOST)),
                List.of(g1, g2), cpuRows, cpu ? 1 : 0, List.of(), List.of(), List.of(), strategy, Double.NaN);
        List<Executor.SwapMove> swaps = List.of(new Executor.SwapMove(g2, Location.GPU, new int[] {3, 4, 6}, new int[] {7, 8, 9}),
                new Executor.SwapMove(c3, Location.HOST, new int[] {0, 1}, new int[] {10, 11}));
        long ctx0 = strategy.pipelined() ? 23 : 23 + 61 + 15;
        long ctx1 = strategy.pipelined() ? 61 + 15 : 0;
        return new Mixed(plan, swaps, ctx0, ctx1, 32 + 51);
    }

    static double sum(List<SubtaskRecord> records, Predicate<SubtaskRecord> which) {
        return records.stream().filter(which).mapToDouble(r -> r.endSec() - r.startSec()).sum();
    }

    static long bytes(List<SubtaskRecord> records, Predicate<SubtaskRecord> which) {
        return records.stream().filter(which).mapToLong(SubtaskRecord::bytes).sum();
    }

    static List<SubtaskRecord> of(List<SubtaskRecord> records, Op op) { return records.stream().filter(r -> r.op() == op).toList(); }

    @Test
    void whatEveryStrategyReportsIsWhatItsRecordsAddUpTo() {
        for (Strategy strategy : Strategy.values()) {
            for (double launch : new double[] {0, 4e-4}) {
                String name = strategy + (launch > 0 ? " single-thread" : "");
                Mixed m = mixed(strategy);
                List<SubtaskRecord> r = new ArrayList<>();
                IterationOutcome o = new SimulatedExecutor(GEO, B, COST, 0, 1, launch).execute(m.plan(), m.swaps(), 7, 2.0, r::add);
                assertNull(o.sampled(), "the simulator computes no tokens");
                assertEquals(sum(r, s -> s.resource() == Resource.GPU), o.gpuBusySec(), 1e-12, name);
                assertEquals(sum(r, s -> s.resource() == Resource.CPU_ATTN), o.cpuBusySec(), 1e-12, name);
                assertEquals(bytes(r, s -> s.resource() == Resource.PCIE_H2D), o.h2dBytes(), name);
                assertEquals(bytes(r, s -> s.resource() == Resource.PCIE_D2H), o.d2hBytes(), name);
                assertEquals(bytes(r, s -> s.op() == Op.SWAP_IN), o.swapInBytes(), name);
                assertEquals(bytes(r, s -> s.op() == Op.SWAP_OUT), o.swapOutBytes(), name);
                assertEquals(r.stream().mapToDouble(SubtaskRecord::endSec).max().orElseThrow(), o.endSec(), 1e-15, name);
                assertTrue(r.stream().allMatch(s -> s.iteration() == 7 && s.startSec() >= 2.0 && s.endSec() >= s.startSec()), name);
                double gpuIdle = o.endSec() - 2.0 - o.gpuBusySec();
                assertTrue(o.gpuStallSec() >= 0 && o.gpuStallSec() <= gpuIdle + 1e-12, name + ": stall within the GPU's idle time");
                assertEquals(List.of(), RunChecks.exclusiveResources(r), name);
                assertEquals(List.of(), RunChecks.dependencies(r), name);
                checkStructure(name, strategy, launch, m, r);
            }
        }
    }

    private static void checkStructure(String name, Strategy strategy, double launch, Mixed m, List<SubtaskRecord> r) {
        long block = KvCapacity.blockBytes(GEO, B.blockSize());
        SubtaskRecord out = of(r, Op.SWAP_OUT).stream().filter(s -> s.layer() == -1).findFirst().orElseThrow();
        assertEquals(2 * GEO.layers() * 2, out.rows(), name + ": two runs of blocks, K and V, every layer");
        assertEquals(3 * block, out.bytes());
        assertEquals(Resource.PCIE_D2H, out.resource());
        SubtaskRecord in = of(r, Op.SWAP_IN).getFirst();
        assertEquals(GEO.layers() * 2, in.rows(), name + ": one run");
        assertEquals(2 * block, in.bytes());
        SubtaskRecord embed = of(r, Op.EMBED).getFirst();
        boolean cpu = strategy != Strategy.GPU_ONLY;
        assertEquals(40 + 24 + 2 + (cpu ? 3 : 0), embed.rows(), name + ": every row of the iteration is embedded");
        assertTrue(embed.startSec() >= Math.max(out.endSec(), in.endSec()) - 1e-15, name + ": swaps finish before the layer stack");
        assertEquals(1 + 2 + (cpu ? 3 : 0), of(r, Op.LM_HEAD).getFirst().rows(), name + ": the partial host prefill samples nothing");
        boolean pipelined = strategy.pipelined();
        int stages = pipelined ? 2 : 1;
        for (int layer = 0; layer < GEO.layers(); layer++) {
            int l = layer;
            List<SubtaskRecord> pre = of(r, Op.PRE).stream().filter(s -> s.layer() == l).toList();
            List<SubtaskRecord> post = of(r, Op.POST).stream().filter(s -> s.layer() == l).toList();
            assertEquals(stages, pre.size(), name + " layer " + l);
            assertEquals(stages, post.size(), name + " layer " + l);
            int width0 = 40 + 24 + 2 + (pipelined ? 1 : cpu ? 3 : 0);
            assertEquals(width0, pre.stream().filter(s -> s.stage() == 0).findFirst().orElseThrow().rows(), name);
            if (pipelined) assertEquals(2, pre.stream().filter(s -> s.stage() == 1).findFirst().orElseThrow().rows(), name);
            List<SubtaskRecord> kv = of(r, Op.SWAP_OUT).stream().filter(s -> s.layer() == l).toList();
            assertEquals(1, kv.size(), name + ": the host prefill's KV streams out every layer");
            assertEquals(24 * GEO.kvBytesPerTokenPerLayer(), kv.getFirst().bytes());
            SubtaskRecord prefill = of(r, Op.PREFILL_ATTN).stream().filter(s -> s.layer() == l).findFirst().orElseThrow();
            assertEquals(64, prefill.rows(), name);
            SubtaskRecord gpuAttn = of(r, Op.GPU_DECODE_ATTN).stream().filter(s -> s.layer() == l).findFirst().orElseThrow();
            assertEquals(2, gpuAttn.rows(), name);
            assertEquals(m.gpuContext(), gpuAttn.contextTokens(), name);
            List<SubtaskRecord> cpuAttn = of(r, Op.CPU_DECODE_ATTN).stream().filter(s -> s.layer() == l).toList();
            List<SubtaskRecord> qkv = of(r, Op.QKV_D2H).stream().filter(s -> s.layer() == l).toList();
            if (!cpu) {
                assertEquals(List.of(), cpuAttn, name);
                assertEquals(List.of(), qkv, name);
                continue;
            }
            assertEquals(stages, cpuAttn.size(), name);
            for (SubtaskRecord c : cpuAttn) {
                int rows = pipelined ? (c.stage() == 0 ? 1 : 2) : 3;
                assertEquals(rows, c.rows(), name);
                assertEquals(c.stage() == 0 ? m.cpuContext0() : m.cpuContext1(), c.contextTokens(), name);
                SubtaskRecord q = qkv.stream().filter(s -> s.stage() == c.stage()).findFirst().orElseThrow();
                assertEquals(rows * GEO.qkvBytesPerToken(), q.bytes(), name);
                SubtaskRecord o = of(r, Op.ATTN_OUT_H2D).stream().filter(s -> s.layer() == l && s.stage() == c.stage()).findFirst().orElseThrow();
                assertEquals(rows * GEO.attnOutBytesPerToken(), o.bytes(), name);
            }
        }
        List<SubtaskRecord> launches = of(r, Op.LAUNCH);
        if (pipelined && launch > 0) {
            assertEquals(2 * GEO.layers(), launches.size(), name + ": stage A and B of every layer launched");
            for (SubtaskRecord s : launches) {
                assertEquals(launch, s.endSec() - s.startSec(), 1e-15, name);
                assertEquals(Resource.HOST_LAUNCH, s.resource());
            }
        } else {
            assertEquals(List.of(), launches, name + ": only NEO's single-thread runtime launches on the host");
        }
    }

    @Test
    void theGpuStallsOnlyWhereItWaitsForTheCpu() {
        Mixed gpuOnly = mixed(Strategy.GPU_ONLY);
        assertEquals(0, new SimulatedExecutor(GEO, B, COST, 0, 1, 0).execute(gpuOnly.plan(), List.of(), 0, 0, null).gpuStallSec());
        Mixed serial = mixed(Strategy.OFFLOAD_SERIAL);
        IterationOutcome o = new SimulatedExecutor(GEO, B, COST, 0, 1, 0).execute(serial.plan(), List.of(), 0, 0, null);
        assertTrue(o.gpuStallSec() > 0, "offload waits for every layer's CPU attention");
        List<SubtaskRecord> r = new ArrayList<>();
        new SimulatedExecutor(GEO, B, COST, 0, 1, 0).execute(serial.plan(), List.of(), 0, 0, r::add);
        double waits = 0;
        for (int layer = 0; layer < GEO.layers(); layer++) {
            int l = layer;
            SubtaskRecord back = of(r, Op.ATTN_OUT_H2D).stream().filter(s -> s.layer() == l).findFirst().orElseThrow();
            SubtaskRecord pre = of(r, Op.PRE).stream().filter(s -> s.layer() == l).findFirst().orElseThrow();
            waits += back.endSec() - pre.endSec();
        }
        assertEquals(waits, o.gpuStallSec(), 1e-12, "the GPU idles from its PRE until the attention output is back, every layer");
    }

    @Test
    void jitterIsSeededAndAveragesToOne() {
        Mixed m = mixed(Strategy.ASYNC_OVERLAP);
        IterationOutcome exact = new SimulatedExecutor(GEO, B, COST, 0, 5, 0).execute(m.plan(), m.swaps(), 0, 0, null);
        SimulatedExecutor a = new SimulatedExecutor(GEO, B, COST, 0.3, 5, 0), b = new SimulatedExecutor(GEO, B, COST, 0.3, 5, 0);
        SimulatedExecutor c = new SimulatedExecutor(GEO, B, COST, 0.3, 6, 0);
        IterationOutcome ja = a.execute(m.plan(), m.swaps(), 0, 0, null), jb = b.execute(m.plan(), m.swaps(), 0, 0, null);
        assertEquals(ja, jb, "same seed, same run");
        assertNotEquals(ja.endSec(), c.execute(m.plan(), m.swaps(), 0, 0, null).endSec(), "another seed, another run");
        assertNotEquals(exact.gpuBusySec(), ja.gpuBusySec());
        double ratio = 0;
        int n = 600;
        for (int i = 0; i < n; i++) ratio += a.execute(m.plan(), m.swaps(), i, 0, null).gpuBusySec() / exact.gpuBusySec();
        assertEquals(1, ratio / n, 0.02, "log-normal jitter with mean one");
        for (double bad : new double[] {-0.1, Double.NaN, Double.POSITIVE_INFINITY}) {
            var e = assertThrows(IllegalArgumentException.class, () -> new SimulatedExecutor(GEO, B, COST, bad, 1, 0));
            assertTrue(e.getMessage().contains("jitter sigma must be finite and >= 0"), e.getMessage());
        }
    }

    @Test
    void theAnalyticCostIsItsClosedForm() {
        AnalyticCost c = new AnalyticCost(1e6, 2e6, 100, 10, 4e6, 1e9, 1e12, 1e8, 1e9, 1e-5, 1e-6, 2e-5);
        double linear8 = Math.max(1e6 / 1e9, 8 * 2e6 / 1e12);
        assertEquals(0.3 * linear8 + 3e-6, c.seconds(Op.PRE, new SubtaskFeatures(8, 0, 0, 0, 0)), 1e-15);
        assertEquals(0.7 * linear8 + 5e-6, c.seconds(Op.POST, new SubtaskFeatures(8, 0, 0, 0, 0)), 1e-15);
        double wide = 1e6 * 2e6 / 1e12;  // rows where flops dominate the weight read
        assertEquals(0.3 * (1e6 * 2e6 / 1e12) + 3e-6, c.seconds(Op.PRE, new SubtaskFeatures(1_000_000, 0, 0, 0, 0)), 1e-12 * wide);
        assertEquals(1e-6, c.seconds(Op.EMBED, new SubtaskFeatures(99, 0, 0, 0, 0)));
        assertEquals(Math.max(4e6 / 1e9, 2 * 3 * 4e6 / 2 / 1e12) + 2e-6, c.seconds(Op.LM_HEAD, new SubtaskFeatures(3, 0, 0, 0, 0)), 1e-15);
        assertEquals(Math.max(4e6 / 1e9, 2 * 5e6 * 4e6 / 2 / 1e12) + 2e-6, c.seconds(Op.LM_HEAD, new SubtaskFeatures(5_000_000, 0, 0, 0, 0)), 1e-9);
        assertEquals(500 * 100 / 1e12 + 1e-6, c.seconds(Op.PREFILL_ATTN, new SubtaskFeatures(10, 1, 0, 500, 0)), 1e-15);
        assertEquals(300 * 10 / 1e9 + 1e-6, c.seconds(Op.GPU_DECODE_ATTN, new SubtaskFeatures(0, 2, 300, 0, 0)), 1e-15);
        assertEquals(300 * 10 / 1e8 + 2e-5, c.seconds(Op.CPU_DECODE_ATTN, new SubtaskFeatures(0, 2, 300, 0, 0)), 1e-15);
        for (Op copy : new Op[] {Op.QKV_D2H, Op.ATTN_OUT_H2D, Op.SWAP_IN, Op.SWAP_OUT}) {
            assertEquals(5000 / 1e9 + 3 * 1e-5, c.seconds(copy, new SubtaskFeatures(0, 3, 0, 0, 5000)), 1e-15, copy.name());
            assertEquals(5000 / 1e9 + 1e-5, c.seconds(copy, new SubtaskFeatures(0, 0, 0, 0, 5000)), 1e-15, copy + ": at least one transfer");
        }
        assertEquals(4e-6, c.seconds(Op.LAUNCH, new SubtaskFeatures(4, 0, 0, 0, 0)), 1e-18);
        assertEquals(1e-6, c.seconds(Op.LAUNCH, new SubtaskFeatures(0, 0, 0, 0, 0)), 1e-18, "at least one launch");
    }
}
