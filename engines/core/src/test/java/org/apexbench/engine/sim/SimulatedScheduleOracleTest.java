package org.apexbench.engine.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.runtime.EngineLoop;
import org.apexbench.engine.runtime.Executor;
import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.engine.runtime.SchedulerSnapshot;
import org.apexbench.engine.Strategy;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.SubtaskTimer;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;
import org.junit.jupiter.api.Test;

/**
 * Simulated schedules checked against schedules worked out by hand. The "hardware" is a cost table in whole
 * milliseconds (below), the model has two layers, and each test writes down, subtask by subtask, when every
 * resource runs what: the list scheduling rules (each resource in plan order, a subtask starts when its resource is
 * free and its inputs are done), applied on paper. Times in the expected lists are milliseconds, [start, end).
 */
class SimulatedScheduleOracleTest {
    /** Two layers; K+V 1000 B per token and layer (a 16-token block is 32,000 B), q/k/v 300 B and output 100 B per row. */
    static final ModelGeometry GEO = new ModelGeometry("oracle", 2, 100, 1, 1, 1, 100, 1, 4096, false, 1, 5).withActivationBytes(1);
    static final EngineBudgets B = new EngineBudgets(64, 512, 100, 1000, 16);

    /**
     * The cost table, in ms: embedding and LM head 1; PRE 1 per row, POST 2 per row; prefill attention 1 per 10 attended
     * pairs; decode attention 1 per 100 context tokens on the GPU, 1 per 20 on the CPU; q/k/v down at 300 B/ms (1 ms a
     * row), attention output up at 100 B/ms (1 ms a row); swaps and KV streaming 1 ms per 32,000 B plus 0.25 per transfer.
     */
    static final SubtaskTimer TABLE = (op, f) -> 1e-3 * switch (op) {
        case EMBED, LM_HEAD -> 1;
        case PRE -> f.rows();
        case POST -> 2.0 * f.rows();
        case PREFILL_ATTN -> f.prefillPairs() / 10.0;
        case GPU_DECODE_ATTN -> f.contextTokens() / 100.0;
        case CPU_DECODE_ATTN -> f.contextTokens() / 20.0;
        case QKV_D2H -> f.bytes() / 300.0;
        case ATTN_OUT_H2D -> f.bytes() / 100.0;
        case SWAP_IN, SWAP_OUT -> f.bytes() / 32000.0 + 0.25 * f.requests();
        case LAUNCH -> Double.NaN;   // the executor charges the engine's launch time per stage, not the table
    };

    private final SchedulerSnapshot snapshot = new SchedulerSnapshot(GEO, B, Predictor.of(TABLE));
    private int ids;

    /** A request decoding with a context of {@code ctx} tokens in {@code where}. */
    private RequestState decoding(int ctx, Location where) {
        return snapshot.addDecoding(new RequestSpec("r" + ids++, 0, new int[ctx - 1], 10, SamplingParams.GREEDY), where, 1, 0);
    }

    private static IterationPlan plan(List<RequestState> gpu, List<RequestState> cpu, int cpuInB0, Strategy s) {
        return new IterationPlan(List.of(), gpu, cpu, cpuInB0, List.of(), List.of(), List.of(), s, Double.NaN);
    }

    private record Run(List<String> subtasks, IterationOutcome outcome) {}

    private static Run execute(IterationPlan plan, List<Executor.SwapMove> swaps, double launchMs) {
        List<SubtaskRecord> records = new ArrayList<>();
        try (SimulatedExecutor x = new SimulatedExecutor(GEO, B, TABLE, 0, 1, launchMs / 1000)) {
            IterationOutcome out = x.execute(plan, swaps, 0, 0, records::add);
            return new Run(records.stream().map(SimulatedScheduleOracleTest::line).sorted().toList(), out);
        }
    }

    private static String line(SubtaskRecord s) {
        String where = s.layer() < 0 ? "-" : "L" + s.layer() + "/B" + s.stage();
        return where + " " + s.op() + " [" + ms(s.startSec()) + "," + ms(s.endSec()) + ")";
    }

    private static String ms(double sec) { return BigDecimal.valueOf(Math.round(sec * 1e6) / 1e3).stripTrailingZeros().toPlainString(); }

    private static void check(Run r, List<String> expected, double endMs, double gpuBusyMs, double cpuBusyMs, double stallMs,
                              long h2d, long d2h) {
        assertEquals(expected.stream().sorted().toList(), r.subtasks());
        assertEquals(endMs, 1e3 * r.outcome().endSec(), 1e-9, "iteration end");
        assertEquals(gpuBusyMs, 1e3 * r.outcome().gpuBusySec(), 1e-9, "GPU busy");
        assertEquals(cpuBusyMs, 1e3 * r.outcome().cpuBusySec(), 1e-9, "CPU busy");
        assertEquals(stallMs, 1e3 * r.outcome().gpuStallSec(), 1e-9, "GPU stalled on the CPU side");
        assertEquals(h2d, r.outcome().h2dBytes(), "bytes host to device");
        assertEquals(d2h, r.outcome().d2hBytes(), "bytes device to host");
    }

    /** Two GPU decodes (contexts 100 and 300): embed, then per layer PRE 2, attention 4, POST 4, then the head. */
    @Test
    void gpuOnlyRunsEverythingInSequenceOnTheGpu() {
        Run r = execute(plan(List.of(decoding(100, Location.GPU), decoding(300, Location.GPU)), List.of(), 0, Strategy.GPU_ONLY), List.of(), 0);
        check(r, List.of("- EMBED [0,1)",
                "L0/B0 PRE [1,3)", "L0/B0 GPU_DECODE_ATTN [3,7)", "L0/B0 POST [7,11)",
                "L1/B0 PRE [11,13)", "L1/B0 GPU_DECODE_ATTN [13,17)", "L1/B0 POST [17,21)",
                "- LM_HEAD [21,22)"), 22, 22, 0, 0, 0, 0);
    }

    /**
     * One GPU decode (context 100) and one CPU decode (context 200): the CPU row's q/k/v goes down (1 ms) after PRE,
     * its attention takes 10 ms while the GPU attends its own row (1 ms), the output comes up (1 ms) and POST waits
     * for it: 11 ms of stall per layer.
     */
    @Test
    void asyncOverlapAttendsOnBothSidesAndPostWaitsForTheCpuRows() {
        Run r = execute(plan(List.of(decoding(100, Location.GPU)), List.of(decoding(200, Location.HOST)), 0, Strategy.ASYNC_OVERLAP),
                List.of(), 0);
        check(r, List.of("- EMBED [0,1)",
                "L0/B0 PRE [1,3)", "L0/B0 QKV_D2H [3,4)", "L0/B0 GPU_DECODE_ATTN [3,4)", "L0/B0 CPU_DECODE_ATTN [4,14)",
                "L0/B0 ATTN_OUT_H2D [14,15)", "L0/B0 POST [15,19)",
                "L1/B0 PRE [19,21)", "L1/B0 QKV_D2H [21,22)", "L1/B0 GPU_DECODE_ATTN [21,22)", "L1/B0 CPU_DECODE_ATTN [22,32)",
                "L1/B0 ATTN_OUT_H2D [32,33)", "L1/B0 POST [33,37)",
                "- LM_HEAD [37,38)"), 38, 16, 20, 22, 200, 600);
    }

    /** The same plan served naively: the GPU's own attention also waits for the CPU rows (12 ms stall per layer). */
    @Test
    void offloadSerialLetsTheGpuWaitForCpuAttention() {
        Run r = execute(plan(List.of(decoding(100, Location.GPU)), List.of(decoding(200, Location.HOST)), 0, Strategy.OFFLOAD_SERIAL),
                List.of(), 0);
        check(r, List.of("- EMBED [0,1)",
                "L0/B0 PRE [1,3)", "L0/B0 QKV_D2H [3,4)", "L0/B0 CPU_DECODE_ATTN [4,14)", "L0/B0 ATTN_OUT_H2D [14,15)",
                "L0/B0 GPU_DECODE_ATTN [15,16)", "L0/B0 POST [16,20)",
                "L1/B0 PRE [20,22)", "L1/B0 QKV_D2H [22,23)", "L1/B0 CPU_DECODE_ATTN [23,33)", "L1/B0 ATTN_OUT_H2D [33,34)",
                "L1/B0 GPU_DECODE_ATTN [34,35)", "L1/B0 POST [35,39)",
                "- LM_HEAD [39,40)"), 40, 16, 20, 24, 200, 600);
    }

    /**
     * NEO's asymmetric pipeline: B0 = the GPU decode (context 100) + a CPU decode (context 200), B1 = a CPU decode of
     * context 400. Per layer the GPU runs B0's PRE (2), B1's PRE (1), B0's GPU attention (1), B0's POST (4) and B1's
     * POST (2), the CPU attends B0 (10) then B1 (20); POST(l) of a sub-batch waits for its output copy.
     */
    @Test
    void asymmetricPipelineInterleavesTheTwoSubBatches() {
        IterationPlan p = plan(List.of(decoding(100, Location.GPU)), List.of(decoding(200, Location.HOST), decoding(400, Location.HOST)), 1,
                Strategy.ASYMMETRIC_PIPELINE);
        check(execute(p, List.of(), 0), List.of("- EMBED [0,1)",
                "L0/B0 PRE [1,3)", "L0/B0 QKV_D2H [3,4)", "L0/B1 PRE [3,4)", "L0/B0 GPU_DECODE_ATTN [4,5)",
                "L0/B0 CPU_DECODE_ATTN [4,14)", "L0/B0 ATTN_OUT_H2D [14,15)",
                "L0/B1 QKV_D2H [4,5)", "L0/B0 POST [15,19)", "L1/B0 PRE [19,21)", "L1/B0 QKV_D2H [21,22)",
                "L0/B1 CPU_DECODE_ATTN [14,34)", "L0/B1 ATTN_OUT_H2D [34,35)", "L0/B1 POST [35,37)", "L1/B1 PRE [37,38)",
                "L1/B0 GPU_DECODE_ATTN [38,39)", "L1/B0 CPU_DECODE_ATTN [34,44)", "L1/B0 ATTN_OUT_H2D [44,45)",
                "L1/B1 QKV_D2H [38,39)", "L1/B0 POST [45,49)", "L1/B1 CPU_DECODE_ATTN [44,64)", "L1/B1 ATTN_OUT_H2D [64,65)",
                "L1/B1 POST [65,67)",
                "- LM_HEAD [67,68)"), 68, 22, 60, 10 + 14 + 6 + 16, 400, 1200);
    }

    /**
     * The same plan on NEO's single host thread (1 ms launch per stage): launching stage A of layer l waits for B0's
     * CPU attention of layer l - 1, B1's CPU attention waits for that launch, and launching stage B waits for B1's
     * CPU attention. The CPU-side ordering costs 2 ms over the two-thread runtime.
     */
    @Test
    void neoSingleThreadRuntimeChargesTheLaunchOnTheHostThread() {
        IterationPlan p = plan(List.of(decoding(100, Location.GPU)), List.of(decoding(200, Location.HOST), decoding(400, Location.HOST)), 1,
                Strategy.ASYMMETRIC_PIPELINE);
        check(execute(p, List.of(), 1), List.of("- EMBED [0,1)",
                "L0/B0 LAUNCH [0,1)", "L0/B0 PRE [1,3)", "L0/B0 QKV_D2H [3,4)", "L0/B1 LAUNCH [1,2)", "L0/B1 PRE [3,4)",
                "L0/B0 GPU_DECODE_ATTN [4,5)", "L0/B0 CPU_DECODE_ATTN [4,14)", "L0/B0 ATTN_OUT_H2D [14,15)",
                "L1/B0 LAUNCH [14,15)", "L0/B1 QKV_D2H [4,5)", "L0/B0 POST [15,19)", "L1/B0 PRE [19,21)", "L1/B0 QKV_D2H [21,22)",
                "L0/B1 CPU_DECODE_ATTN [15,35)", "L0/B1 ATTN_OUT_H2D [35,36)", "L1/B1 LAUNCH [35,36)", "L0/B1 POST [36,38)",
                "L1/B1 PRE [38,39)", "L1/B0 GPU_DECODE_ATTN [39,40)", "L1/B0 CPU_DECODE_ATTN [36,46)", "L1/B0 ATTN_OUT_H2D [46,47)",
                "L1/B1 QKV_D2H [39,40)", "L1/B0 POST [47,51)", "L1/B1 CPU_DECODE_ATTN [46,66)", "L1/B1 ATTN_OUT_H2D [66,67)",
                "L1/B1 POST [67,69)",
                "- LM_HEAD [69,70)"), 70, 22, 60, 10 + 15 + 7 + 16, 400, 1200);
    }

    /** FastDecode's symmetric ping-pong: two CPU decodes of context 200, one per sub-batch, nothing on the GPU's attention. */
    @Test
    void symmetricPipelinePingPongsEqualHalves() {
        IterationPlan p = plan(List.of(), List.of(decoding(200, Location.HOST), decoding(200, Location.HOST)), 1, Strategy.SYMMETRIC_PIPELINE);
        check(execute(p, List.of(), 0), List.of("- EMBED [0,1)",
                "L0/B0 PRE [1,2)", "L0/B0 QKV_D2H [2,3)", "L0/B1 PRE [2,3)", "L0/B0 CPU_DECODE_ATTN [3,13)", "L0/B0 ATTN_OUT_H2D [13,14)",
                "L0/B1 QKV_D2H [3,4)", "L0/B0 POST [14,16)", "L1/B0 PRE [16,17)", "L1/B0 QKV_D2H [17,18)",
                "L0/B1 CPU_DECODE_ATTN [13,23)", "L0/B1 ATTN_OUT_H2D [23,24)", "L0/B1 POST [24,26)", "L1/B1 PRE [26,27)",
                "L1/B0 CPU_DECODE_ATTN [23,33)", "L1/B0 ATTN_OUT_H2D [33,34)",
                "L1/B1 QKV_D2H [27,28)", "L1/B0 POST [34,36)", "L1/B1 CPU_DECODE_ATTN [33,43)", "L1/B1 ATTN_OUT_H2D [43,44)",
                "L1/B1 POST [44,46)",
                "- LM_HEAD [46,47)"), 47, 14, 40, 11 + 7 + 7 + 8, 400, 1200);
    }

    /**
     * Whole-request swaps run before the layer stack, each on its copy engine, one transfer per run of consecutive
     * blocks, layer and K/V tensor: out 3 blocks in 2 runs (3 ms + 8 x 0.25), in 2 blocks in 1 run (2 ms + 4 x 0.25).
     * The embedding waits for both.
     */
    @Test
    void swapsRunFirstAndTheLayerStackWaitsForThem() {
        RequestState out = decoding(40, Location.GPU), in = decoding(20, Location.HOST), g = decoding(100, Location.GPU);
        List<Executor.SwapMove> swaps = List.of(new Executor.SwapMove(out, Location.GPU, new int[] {3, 4, 9}, new int[] {0, 1, 2}),
                new Executor.SwapMove(in, Location.HOST, new int[] {5, 6}, new int[] {10, 11}));
        Run r = execute(plan(List.of(g), List.of(), 0, Strategy.GPU_ONLY), swaps, 0);
        check(r, List.of("- SWAP_OUT [0,5)", "- SWAP_IN [0,3)", "- EMBED [5,6)",
                "L0/B0 PRE [6,7)", "L0/B0 GPU_DECODE_ATTN [7,8)", "L0/B0 POST [8,10)",
                "L1/B0 PRE [10,11)", "L1/B0 GPU_DECODE_ATTN [11,12)", "L1/B0 POST [12,14)",
                "- LM_HEAD [14,15)"), 15, 10, 0, 0, 64_000, 96_000);
        assertEquals(64_000, r.outcome().swapInBytes());
        assertEquals(96_000, r.outcome().swapOutBytes());
    }

    /**
     * NEO's CPU prefill: a 4-token prompt prefilled on the GPU into the host pool streams each layer's K/V (4,000 B:
     * 0.125 ms + 0.25) to the host after PRE, beside the prefill attention (10 pairs: 1 ms).
     */
    @Test
    void aHostPoolPrefillStreamsItsKvOutEveryLayer() {
        RequestState w = snapshot.addWaiting(new RequestSpec("p", 0, new int[4], 3, SamplingParams.GREEDY));
        IterationPlan p = new IterationPlan(List.of(PrefillChunk.of(w, 4, Location.HOST)), List.of(), List.of(), 0, List.of(), List.of(),
                List.of(), Strategy.GPU_ONLY, Double.NaN);
        Run r = execute(p, List.of(), 0);
        check(r, List.of("- EMBED [0,1)",
                "L0/B0 PRE [1,5)", "L0/B0 PREFILL_ATTN [5,6)", "L0/B0 SWAP_OUT [5,5.375)", "L0/B0 POST [6,14)",
                "L1/B0 PRE [14,18)", "L1/B0 PREFILL_ATTN [18,19)", "L1/B0 SWAP_OUT [18,18.375)", "L1/B0 POST [19,27)",
                "- LM_HEAD [27,28)"), 28, 28, 0, 0, 0, 8000);
        assertEquals(8000, r.outcome().swapOutBytes());
    }

    /**
     * A whole run on the engine loop: request a (prompt 4, 3 tokens) arrives at 0 and b (prompt 4, 1 token) at 100 ms;
     * the scheduler prefills whatever waits and decodes whatever runs, on the GPU. Iteration 0 prefills a: 1 + 2 x (4 +
     * 1 + 8) + 1 = 28 ms; iterations 1 and 2 decode it at contexts 5 and 6: 1 + 2 x (1 + 0.05 + 2) + 1 = 8.1 ms, then
     * 8.12 ms. The engine then idles until b arrives at 100 ms, whose prefill takes 28 ms. Makespan 128 ms.
     */
    @Test
    void aRunsTokenTimesAndMakespanFollowTheTable() {
        var spec = List.of(new RequestSpec("a", 0, new int[4], 3, SamplingParams.GREEDY),
                new RequestSpec("b", 0.1, new int[4], 1, SamplingParams.GREEDY));
        Engine engine = new Engine("oracle", "prefill whatever waits, decode whatever runs", () -> ctx -> {
            List<PrefillChunk> pre = new ArrayList<>();
            for (RequestState r : ctx.waiting()) pre.add(PrefillChunk.of(r, r.remainingTokens(), Location.GPU));
            return new IterationPlan(pre, new ArrayList<>(ctx.gpuRunning()), List.of(), 0, List.of(), List.of(), List.of(),
                    Strategy.GPU_ONLY, Double.NaN);
        }, 0);
        RunResult res;
        try (SimulatedExecutor x = new SimulatedExecutor(GEO, B, TABLE, 0, 1, 0)) {
            res = new EngineLoop(engine, x, "sim", GEO, B, Predictor.of(TABLE), RecordOptions.DEFAULT, false).run(spec);
        }
        RequestRecord a = res.requests().get(0), b = res.requests().get(1);
        assertEquals(List.of(28.0, 36.1, 44.22), times(a));
        assertEquals(List.of(128.0), times(b));
        assertEquals(100, 1e3 * b.arrivalSec(), 1e-9);
        assertEquals(128, 1e3 * res.durationSec(), 1e-9, "first arrival to last completion");
        assertEquals(List.of(0.0, 28.0, 36.1, 100.0), res.iterations().stream().map(i -> round(1e3 * i.startSec())).toList(),
                "iterations start when the previous one ends, or at the next arrival when idle");
    }

    private static List<Double> times(RequestRecord r) {
        List<Double> l = new ArrayList<>();
        for (double t : r.tokenTimesSec()) l.add(round(1e3 * t));
        return l;
    }

    private static double round(double ms) { return Math.round(ms * 1e6) / 1e6; }
}
