package org.apexbench.engine.hybrid;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.HostLoopCost;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.Location;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Scheduler;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunChecks;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.engine.runtime.SchedulerSnapshot;
import org.apexbench.engine.sim.SimRun;
import org.apexbench.model.ModelPresets;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * What the static hybrids plan in hand-built situations, against NEO's rules (docs/engines.md#neo) and
 * closed-form costs computed here from a known cost function: placement (GPU while the KV fits, then the host for
 * every later prompt, within the staging area and the host reserve; swap-out of the newest GPU requests; swap-in of
 * the oldest host requests under 0.95 of the GPU pool; recompute when the host is full), NEO's split of CPU decodes
 * that keeps both slack windows non-negative and its choice of the pipelined pair only when it advances more rows
 * per GPU second, FastDecode's balanced halves and offload's serial plan, each with its predicted time.
 */
class HybridPlanTest {
    static final ModelGeometry GEO = new ModelGeometry("m", 4, 8, 8, 1, 1, 50, 8, 8192, false, 1, 1, 2);

    static double linear(int rows) { return 2 * (1e-3 + 1e-5 * rows); }
    static double gdec(int requests, long ctx) { return requests == 0 ? 0 : 1e-4 + 1e-7 * ctx; }

    /** A cost function whose CPU attention is {@code cpuFactor} times a cheap one. */
    static Predictor predictor(double cpuFactor) {
        return Predictor.of((op, f) -> switch (op) {
            case PRE, POST -> 1e-3 + 1e-5 * f.rows();
            case EMBED -> 1e-4 + 1e-7 * f.rows();
            case LM_HEAD -> 2e-4 + 1e-6 * f.rows();
            case PREFILL_ATTN -> 1e-8 * f.prefillPairs();
            case GPU_DECODE_ATTN -> 1e-4 + 1e-7 * f.contextTokens();
            case CPU_DECODE_ATTN -> cpuFactor * (1e-4 + 2e-5 * f.requests() + 1e-6 * f.contextTokens());
            case QKV_D2H, ATTN_OUT_H2D, SWAP_IN, SWAP_OUT -> 1e-5 * Math.max(1, f.requests()) + f.bytes() / 1e10;
            case LAUNCH -> 0;
        });
    }

    static RequestSpec spec(String id, int prompt, int out) { return new RequestSpec(id, 0, new int[prompt], out, SamplingParams.GREEDY); }

    static List<String> ids(List<RequestState> l) { return l.stream().map(RequestState::id).toList(); }

    static List<String> chunks(IterationPlan p) {
        return p.prefills().stream().map(c -> c.request().id() + ":" + c.length() + (c.pool() == Location.HOST ? "@host" : "")).toList();
    }

    static IterationPlan plan(Scheduler s, SchedulerSnapshot snap) { return s.plan(snap.context(0, 0)); }

    static SchedulerSnapshot snapshot(int gpuBlocks, int hostBlocks, int maxRunning, int maxTokens, double cpuFactor) {
        return new SchedulerSnapshot(GEO, new EngineBudgets(maxRunning, maxTokens, gpuBlocks, hostBlocks, 16), predictor(cpuFactor));
    }

    /** Five GPU decoders (context 100: 35 blocks of a 40-block pool) and six host decoders (context 60). */
    static SchedulerSnapshot decoders(double cpuFactor) {
        SchedulerSnapshot s = snapshot(40, 400, 64, 512, cpuFactor);
        for (int i = 0; i < 5; i++) s.addDecoding(spec("g" + i, 99, 8), Location.GPU, 1, 0);
        for (int i = 0; i < 6; i++) s.addDecoding(spec("h" + i, 59, 8), Location.HOST, 1, 0);
        return s;
    }

    // ---- NEO's mode decision ------------------------------------------------------------------------------------

    /** NEO's per-layer sums of one sub-batch, from the plan (B0: prefills, GPU decodes, the first CPU rows; B1: the rest). */
    record SideSums(int width, int rows, int gpuReq, long gpuCtx, int cpuReq, long cpuCtx) {
        double linr() { return width == 0 ? 0 : linear(width); }
    }

    static SideSums side(IterationPlan p, int stage) {
        int split = p.cpuDecodesInFirstSubBatch();
        List<RequestState> cpu = stage == 0 ? p.cpuDecodes().subList(0, split) : p.cpuDecodes().subList(split, p.cpuDecodes().size());
        long cpuCtx = cpu.stream().mapToLong(RequestState::contextLength).sum();
        if (stage == 1) return new SideSums(cpu.size(), cpu.size(), 0, 0, cpu.size(), cpuCtx);
        long gpuCtx = p.gpuDecodes().stream().mapToLong(RequestState::contextLength).sum();
        int width = p.prefillTokens() + p.gpuDecodes().size() + cpu.size();
        return new SideSums(width, p.prefills().size() + p.gpuDecodes().size() + cpu.size(), p.gpuDecodes().size(), gpuCtx, cpu.size(), cpuCtx);
    }

    @Test
    void neoPipelinesWhenCpuAttentionHidesUnderTheOtherSubBatch() {
        Predictor p = predictor(1);
        IterationPlan plan = plan(new NeoScheduler(0), decoders(1));
        assertEquals(Strategy.ASYMMETRIC_PIPELINE, plan.strategy());
        assertEquals(List.of("g0", "g1", "g2", "g3", "g4"), ids(plan.gpuDecodes()));
        assertEquals(6, plan.cpuDecodes().size(), "every host request fits the windows");
        assertEquals(List.of(), plan.swapIn(), "35 + 4 blocks exceed 0.95 x 40");
        // each CPU row goes to the sub-batch whose window had more slack after the previous one (ms, B0 = the 5 GPU
        // rows, linear 2.1, GPU attention 0.15): h0 -> B1 (slack A 1.92 < B 2.17, so B0 next), h1 -> B0 (1.94 < 1.99),
        // h2 -> B0 (1.96 > 1.91: B1 next), h3 -> B1 (1.88 < 1.93), h4 -> B0 (1.90 > 1.85), h5 -> B1
        assertEquals(List.of("h1", "h2", "h4", "h0", "h3", "h5"), ids(plan.cpuDecodes()), "B0's CPU rows, then B1's");
        assertEquals(3, plan.cpuDecodesInFirstSubBatch());
        SideSums b0 = side(plan, 0), b1 = side(plan, 1);
        assertTrue(b1.cpuReq() > 0, "B1 holds CPU rows");
        double cdec0 = p.cpuDecodeAttention(b0.cpuReq(), b0.cpuCtx()), cdec1 = p.cpuDecodeAttention(b1.cpuReq(), b1.cpuCtx());
        double slackA = b0.linr() - cdec1, slackB = b1.linr() + gdec(b0.gpuReq(), b0.gpuCtx()) - cdec0;
        assertTrue(slackA >= 0 && slackB >= 0, "NEO keeps both windows' slack >= 0: " + slackA + ", " + slackB);
        double perLayer = Math.max(b0.linr(), cdec1) + Math.max(b1.linr() + gdec(b0.gpuReq(), b0.gpuCtx()), cdec0);
        double predicted = GEO.layers() * perLayer + p.embedAndHead(b0.width() + b1.width(), b0.rows() + b1.rows());
        assertEquals(predicted, plan.predictedSec(), 1e-12, "two windows per layer, then embedding and LM head");
        double sequentialRate = 5 / (linear(5) + gdec(5, 500));
        double pipelinedRate = (b0.rows() + b1.rows()) / (b0.linr() + gdec(5, 500) + b1.linr());
        assertTrue(pipelinedRate > sequentialRate, "chosen because it advances more rows per GPU second");
    }

    @Test
    void whateverNeoSplitsKeepsBothSlackWindowsAndIsWorthPipelining() {
        long[] contexts = {60, 300, 45, 800, 120, 75, 500, 30, 220, 90};
        int pipelined = 0, partial = 0;
        for (double factor : new double[] {0.5, 1, 2, 3, 4, 6, 8, 12}) {
            for (double lnch : new double[] {0, 4e-4}) {
                for (int gpuRows : new int[] {1, 3, 5}) {
                    Predictor p = predictor(factor);
                    SchedulerSnapshot s = snapshot(40, 800, 64, 512, factor);
                    for (int i = 0; i < gpuRows; i++) s.addDecoding(spec("g" + i, 99, 8), Location.GPU, 1, 0);
                    s.addDecoding(spec("fill", 16 * (38 - 7 * gpuRows) - 1, 8), Location.GPU, 1, 0);  // no room to swap in
                    for (int i = 0; i < contexts.length; i++) s.addDecoding(spec("h" + i, (int) contexts[i] - 1, 8), Location.HOST, 1, 0);
                    IterationPlan plan = plan(new NeoScheduler(lnch), s);
                    String what = "cpu x" + factor + ", launch " + lnch + ", " + gpuRows + " GPU rows: " + plan.strategy() + " " + ids(plan.cpuDecodes());
                    assertEquals(List.of(), plan.swapIn(), what);
                    if (plan.cpuDecodes().isEmpty()) {
                        assertEquals(Strategy.GPU_ONLY, plan.strategy(), what);
                        continue;
                    }
                    assertEquals(Strategy.ASYMMETRIC_PIPELINE, plan.strategy(), what);
                    pipelined++;
                    if (plan.cpuDecodes().size() < contexts.length) partial++;
                    SideSums b0 = side(plan, 0), b1 = side(plan, 1);
                    double cdec0 = p.cpuDecodeAttention(b0.cpuReq(), b0.cpuCtx()), cdec1 = p.cpuDecodeAttention(b1.cpuReq(), b1.cpuCtx());
                    double gdec0 = gdec(b0.gpuReq(), b0.gpuCtx());
                    assertTrue(b0.linr() - cdec1 - lnch >= -1e-15, what + ": slack A");
                    assertTrue(b1.linr() + gdec0 - cdec0 - lnch >= -1e-15, what + ": slack B");
                    double perLayer = Math.max(b0.linr(), cdec1 + lnch) + Math.max(b1.linr() + gdec0, cdec0 + lnch);
                    assertEquals(GEO.layers() * perLayer + p.embedAndHead(b0.width() + b1.width(), b0.rows() + b1.rows()), plan.predictedSec(),
                            1e-12, what);
                    double seqRate = (gpuRows + 1) / (linear(gpuRows + 1) + gdec(gpuRows + 1, b0.gpuCtx()));
                    double pipeRate = (b0.rows() + b1.rows()) / (b0.linr() + gdec0 + b1.linr());
                    assertTrue(pipeRate > seqRate, what + ": more rows per GPU second than the sequential batch");
                }
            }
        }
        assertTrue(pipelined >= 10 && partial >= 5, pipelined + " pipelined plans, " + partial + " with some host rows left out");
    }

    @Test
    void neoRunsTheGpuRowsAloneWhenCpuAttentionWouldStallThem() {
        Predictor p = predictor(20);
        IterationPlan plan = plan(new NeoScheduler(0), decoders(20));
        assertEquals(Strategy.GPU_ONLY, plan.strategy());
        assertEquals(List.of(), plan.cpuDecodes(), "host rows wait");
        assertEquals(5, plan.gpuDecodes().size());
        assertEquals(GEO.layers() * (linear(5) + gdec(5, 500)) + p.embedAndHead(5, 5), plan.predictedSec(), 1e-12);
    }

    @Test
    void neosLaunchChargeShrinksTheWindows() {
        IterationPlan twoThread = plan(new NeoScheduler(0), decoders(1));
        IterationPlan singleThread = plan(new NeoScheduler(2.5e-3), decoders(1));
        assertEquals(Strategy.ASYMMETRIC_PIPELINE, twoThread.strategy());
        assertEquals(Strategy.GPU_ONLY, singleThread.strategy(), "0.8 ms-class launch charges leave no slack for CPU rows");
        assertEquals(List.of(), singleThread.cpuDecodes());
    }

    @Test
    void withOnlyHostRequestsNeoRunsTheHeadOfTheCpuQueueAlone() {
        SchedulerSnapshot s = snapshot(3, 400, 64, 512, 20);  // a 3-block GPU pool: nothing can be swapped in
        for (int i = 0; i < 3; i++) s.addDecoding(spec("h" + i, 59, 8), Location.HOST, 1, 0);
        IterationPlan plan = plan(new NeoScheduler(0), s);
        assertEquals(Strategy.ASYMMETRIC_PIPELINE, plan.strategy());
        assertEquals(List.of("h0"), ids(plan.cpuDecodes()), "host requests always progress");
        assertEquals(0, plan.cpuDecodesInFirstSubBatch(), "alone in B1");
        assertEquals(List.of(), plan.gpuDecodes());
    }

    // ---- placement ----------------------------------------------------------------------------------------------

    @Test
    void promptsGoToTheGpuWhileTheyFitThenEveryLaterOneToTheHostWithinTheStagingArea() {
        SchedulerSnapshot s = snapshot(16, 400, 64, 1024, 1);
        s.addWaiting(spec("w1", 100, 4));   // 7 blocks: GPU
        s.addWaiting(spec("w2", 200, 4));   // 13 more would exceed 16: host
        s.addWaiting(spec("w3", 50, 4));    // would fit the GPU, but follows a host prompt; staging has 3 blocks left
        IterationPlan plan = plan(new NeoScheduler(0), s);
        assertEquals(List.of("w1:100", "w2:200@host"), chunks(plan));
        assertEquals(Strategy.GPU_ONLY, plan.strategy());
        Predictor p = predictor(1);
        double pref = p.prefillAttention(100, 1, 100L * 101 / 2) + p.prefillAttention(200, 1, 200L * 201 / 2);
        assertEquals(GEO.layers() * (linear(300) + pref) + p.embedAndHead(300, 2), plan.predictedSec(), 1e-12);

        SchedulerSnapshot exact = snapshot(16, 400, 64, 1024, 1);
        exact.addWaiting(spec("w1", 100, 4));
        exact.addWaiting(spec("w2", 200, 4));
        exact.addWaiting(spec("w3", 48, 4));
        assertEquals(List.of("w1:100", "w2:200@host", "w3:48@host"), chunks(plan(new OffloadScheduler(), exact)),
                "w2 takes 13 of the 16 staging blocks: 48 tokens more fit, on the host as the prompt before");
        assertEquals(List.of("w1:100", "w2:200@host"), chunks(plan(new NeoScheduler(0), exact)),
                "NEO trims host prefills off its sequential batch while it stays 128 tokens wide: 348 - 48 >= 128 > 348 - 48 - 200");
        assertEquals(List.of("w1:100", "w2:200@host"), chunks(plan(new OffloadScheduler(), s)), "50 tokens exceed the staging room");
    }

    @Test
    void admissionStopsAtTheTokenBudgetTheRunningLimitAndTheHostReserve() {
        SchedulerSnapshot budget = snapshot(40, 400, 64, 150, 1);
        budget.addWaiting(spec("w1", 100, 4));
        budget.addWaiting(spec("w2", 100, 4));
        budget.addWaiting(spec("w3", 10, 4));
        assertEquals(List.of("w1:100"), chunks(plan(new NeoScheduler(0), budget)), "whole prompts, FCFS: w2 does not fit the 50 left");
        SchedulerSnapshot slots = snapshot(40, 400, 2, 1024, 1);
        slots.addDecoding(spec("d", 10, 4), Location.GPU, 1, 0);
        slots.addWaiting(spec("w1", 10, 4));
        slots.addWaiting(spec("w2", 10, 4));
        assertEquals(List.of("w1:10"), chunks(plan(new NeoScheduler(0), slots)));
        SchedulerSnapshot reserve = snapshot(4, 10, 64, 1024, 1);  // host reserve: 10 - 4 = 6 blocks for host prompts
        reserve.addWaiting(spec("w1", 60, 4));                     // 4 blocks: GPU
        reserve.addWaiting(spec("w2", 60, 4));                     // 4: host
        reserve.addWaiting(spec("w3", 40, 4));                     // 3 more: 7 > 6
        assertEquals(List.of("w1:60", "w2:60@host"), chunks(plan(new NeoScheduler(0), reserve)));
    }

    @Test
    void theNewestGpuRequestsAreSwappedOutWhenTheirNextTokensOverflowTheGpuPool() {
        SchedulerSnapshot s = snapshot(6, 400, 64, 512, 1);
        for (String id : List.of("a", "b", "c")) s.addDecoding(spec(id, 32, 8), Location.GPU, 1, 0);  // 32 KV tokens each: a third block next
        IterationPlan plan = plan(new NeoScheduler(0), s);
        assertEquals(List.of("c"), ids(plan.swapOut()));
        assertEquals(List.of("a", "b"), ids(plan.gpuDecodes()));
        assertEquals(List.of(), plan.recompute());
        assertEquals(List.of(), plan.swapIn(), "no swap-in in an iteration that swaps out");
        Predictor p = predictor(1);
        double swap = p.d2h(2L * 16 * GEO.kvBytesPerToken(), 2 * GEO.layers());
        assertEquals(GEO.layers() * (linear(2) + gdec(2, 66)) + p.embedAndHead(2, 2) + swap, plan.predictedSec(), 1e-12,
                "the swap-out's PCIe time is part of the prediction");
        SchedulerSnapshot fullHost = snapshot(6, 2, 64, 512, 1);
        for (String id : List.of("a", "b", "c")) fullHost.addDecoding(spec(id, 32, 8), Location.GPU, 1, 0);
        IterationPlan recompute = plan(new NeoScheduler(0), fullHost);
        assertEquals(List.of("c"), ids(recompute.recompute()), "a victim the host cannot take is recomputed");
        assertEquals(List.of(), recompute.swapOut());
    }

    @Test
    void theOldestHostRequestsAreSwappedInBelowTheHysteresis() {
        SchedulerSnapshot s = snapshot(19, 400, 64, 512, 1);
        s.addDecoding(spec("g", 99, 8), Location.GPU, 1, 0);                  // 7 blocks next
        s.addDecoding(spec("h1", 59, 8), Location.HOST, 1, 0);                // 4
        s.addDecoding(spec("h2", 59, 8), Location.HOST, 1, 0);                // 4
        s.addDecoding(spec("h3", 59, 8), Location.HOST, 1, 0);                // 4: 7 + 12 = 19 > round(0.95 x 19) = 18
        IterationPlan plan = plan(new NeoScheduler(0), s);
        assertEquals(List.of("h1", "h2"), ids(plan.swapIn()));
        assertTrue(ids(plan.gpuDecodes()).containsAll(List.of("g", "h1", "h2")), "swapped-in requests decode on the GPU at once");
    }

    @Test
    void aHostRequestWhoseNextTokenFindsTheHostFullIsRecomputed() {
        SchedulerSnapshot s = snapshot(2, 4, 64, 512, 1);
        s.addDecoding(spec("h1", 32, 8), Location.HOST, 1, 0);  // 32 KV tokens: 2 blocks, a third next
        s.addDecoding(spec("h2", 32, 8), Location.HOST, 1, 0);
        IterationPlan plan = plan(new NeoScheduler(0), s);
        assertEquals(List.of("h2"), ids(plan.recompute()), "newest first");
        assertTrue(ids(plan.cpuDecodes()).equals(List.of("h1")) || ids(plan.cpuDecodes()).isEmpty());
    }

    @Test
    void hybridsRefuseRequestsTheyCouldNeverServe() {
        KvCapacity b = KvCapacity.empty(new EngineBudgets(64, 100, 10, 30, 16), GEO);
        KvCapacity noGpu = KvCapacity.empty(new EngineBudgets(64, 100, 0, 30, 16), GEO);
        assertNull(NeoScheduler.hybridInfeasibility(spec("ok", 100, 61), b), "161 tokens: 11 blocks, within the host's 20 beyond the reserve");
        assertTrue(NeoScheduler.hybridInfeasibility(spec("long", 101, 1), b).contains("prompt longer than the 100-token iteration budget"));
        assertNull(NeoScheduler.hybridInfeasibility(spec("edge", 100, 221), b), "320 tokens: 20 blocks, exactly the host's 20");
        assertEquals("needs 21 KV blocks but the GPU pool has 10 and the host pool leaves 20 beyond its swap reserve",
                NeoScheduler.hybridInfeasibility(spec("big", 100, 237), b));
        assertEquals(NeoScheduler.NO_STAGING, NeoScheduler.hybridInfeasibility(spec("x", 10, 1), noGpu));
        KvCapacity noReserve = KvCapacity.empty(new EngineBudgets(64, 100, 10, 10, 16), GEO);
        assertEquals("needs 7 KV blocks at admission, which NEO grants only while the host pool keeps them beyond its swap reserve,"
                        + " and the host pool leaves 0", NeoScheduler.hybridInfeasibility(spec("gpu", 100, 60), noReserve),
                "fits the GPU pool, but NEO's admission asks the host reserve first");
        assertNull(NeoScheduler.hybridInfeasibility(spec("gpu", 100, 60), KvCapacity.empty(new EngineBudgets(64, 100, 10, 17, 16), GEO)),
                "7 prompt blocks within the host's 7 beyond the reserve; the whole request fits the GPU");
        FastDecodeScheduler fd = new FastDecodeScheduler();
        assertNull(fd.infeasibility(spec("ok", 100, 381), b), "480 tokens: exactly the 30 host blocks");
        assertTrue(fd.infeasibility(spec("big", 100, 382), b).contains("needs 31 host KV blocks"));
        assertTrue(fd.infeasibility(spec("long", 101, 1), b).contains("prompt longer than the 100-token iteration budget"));
        assertEquals(NeoScheduler.NO_STAGING, fd.infeasibility(spec("x", 10, 1), noGpu));
        String big = NeoScheduler.hybridInfeasibility(spec("big", 100, 237), b);
        assertEquals(big, new OffloadScheduler().infeasibility(spec("big", 100, 237), b));
        assertEquals(big, new NeoScheduler(0).infeasibility(spec("big", 100, 237), b));
    }

    @Test
    void preemptedRequestsAreReprefilledWithinTheTokenBudgetAndFinish() {
        // an 8-block GPU pool, a 16-block host pool, 64 tokens per iteration: the requests outgrow both pools and are
        // preempted (NEO swaps here; offload and FastDecode also recompute, and a context recomputed after more than
        // 24 generated tokens is longer than an iteration's budget, so it is prefilled in chunks)
        EngineBudgets b = new EngineBudgets(8, 64, 8, 16, 16);
        List<RequestSpec> reqs = new ArrayList<>();
        for (int i = 0; i < 5; i++) reqs.add(new RequestSpec("r" + i, 0.001 * i, new int[40 + 4 * i], 60, SamplingParams.GREEDY));
        int prompts = reqs.stream().mapToInt(RequestSpec::promptLength).sum();
        for (String id : List.of("static-hybrid:neo", "static-hybrid:offload", "static-hybrid:fastdecode")) {
            RunResult r = SimRun.simulate(EngineRegistry.create(id, EngineOptions.NONE), ModelPresets.geometry("tiny-llama3"),
                    HardwareSpecs.builtIn("t4-g4dn.4xlarge"), b, reqs, 1, 0, RecordOptions.DEFAULT, null);
            assertEquals(List.of(), RunChecks.requests(reqs, r), id);
            assertTrue(r.requests().stream().anyMatch(q -> q.preemptions() > 0), id + ": something was preempted");
            assertTrue(r.iterations().stream().allMatch(it -> it.prefillTokens() <= 64), id + ": never more than the budget");
            int prefilled = r.iterations().stream().mapToInt(IterationRecord::prefillTokens).sum();
            if (!id.equals("static-hybrid:neo")) assertTrue(prefilled > prompts, id + ": a recomputed context was prefilled again: " + prefilled);
        }
    }

    // ---- FastDecode and offload ----------------------------------------------------------------------------------

    @Test
    void fastDecodeAttendsEveryDecodeOnTheHostInTwoHalvesOfEqualContext() {
        SchedulerSnapshot s = snapshot(8, 400, 64, 512, 1);
        s.addDecoding(spec("a", 99, 8), Location.HOST, 1, 0);   // context 100
        s.addDecoding(spec("b", 39, 8), Location.HOST, 1, 0);   // 40
        s.addDecoding(spec("c", 49, 8), Location.HOST, 1, 0);   // 50
        s.addDecoding(spec("d", 9, 8), Location.HOST, 1, 0);    // 10
        s.addWaiting(spec("w", 30, 4));
        IterationPlan plan = plan(new FastDecodeScheduler(), s);
        assertEquals(Strategy.SYMMETRIC_PIPELINE, plan.strategy());
        assertEquals(List.of("w:30@host"), chunks(plan), "prefills run on the GPU, their KV goes to the host");
        assertEquals(List.of(), plan.gpuDecodes());
        // a -> B0 (100 vs 0), b -> B1 (40 < 100), c -> B1 (90 < 100), d -> B1 (90 + 10 = 100, still not lighter than B0? 90 < 100)
        assertEquals(List.of("a", "b", "c", "d"), ids(plan.cpuDecodes()));
        assertEquals(1, plan.cpuDecodesInFirstSubBatch());
        Predictor p = predictor(1);
        double pref = p.prefillAttention(30, 1, 30L * 31 / 2);
        double perLayer = Math.max(linear(31), p.cpuDecodeAttention(3, 100)) + Math.max(linear(3) + pref, p.cpuDecodeAttention(1, 100));
        assertEquals(GEO.layers() * perLayer + p.embedAndHead(34, 5), plan.predictedSec(), 1e-12);

        SchedulerSnapshot decodesOnly = snapshot(8, 400, 64, 512, 1);
        decodesOnly.addDecoding(spec("a", 9, 8), Location.HOST, 1, 0);
        decodesOnly.addDecoding(spec("b", 99, 8), Location.HOST, 1, 0);
        IterationPlan halves = plan(new FastDecodeScheduler(), decodesOnly);
        assertEquals(List.of("a", "b"), ids(halves.cpuDecodes()));
        assertEquals(1, halves.cpuDecodesInFirstSubBatch(), "one request per half");

        SchedulerSnapshot prefillOnly = snapshot(8, 400, 64, 512, 1);
        prefillOnly.addWaiting(spec("w", 30, 4));
        IterationPlan first = plan(new FastDecodeScheduler(), prefillOnly);
        assertEquals(Strategy.GPU_ONLY, first.strategy());
        assertEquals(List.of("w:30@host"), chunks(first));
        assertEquals(GEO.layers() * (linear(30) + pref) + p.embedAndHead(30, 1), first.predictedSec(), 1e-12);
    }

    @Test
    void fastDecodeBalancesTheHalvesByContextAndPredictsTheCpuBoundWindows() {
        SchedulerSnapshot s = snapshot(8, 400, 64, 512, 20);
        s.addDecoding(spec("a", 9, 8), Location.HOST, 1, 0);    // context 10 -> B0 (0 <= 0)
        s.addDecoding(spec("b", 99, 8), Location.HOST, 1, 0);   // 100 -> B1 (10 > 0)
        s.addDecoding(spec("c", 9, 8), Location.HOST, 1, 0);    // 10 -> B0 (10 <= 100)
        IterationPlan plan = plan(new FastDecodeScheduler(), s);
        assertEquals(List.of("a", "c", "b"), ids(plan.cpuDecodes()));
        assertEquals(2, plan.cpuDecodesInFirstSubBatch());
        Predictor p = predictor(20);  // CPU attention 20x: each window is the other half's CPU attention
        double perLayer = Math.max(linear(2), p.cpuDecodeAttention(1, 100)) + Math.max(linear(1), p.cpuDecodeAttention(2, 20));
        assertEquals(p.cpuDecodeAttention(1, 100) + p.cpuDecodeAttention(2, 20), perLayer, 1e-15, "CPU-bound in both windows");
        assertEquals(GEO.layers() * perLayer + p.embedAndHead(3, 3), plan.predictedSec(), 1e-12);

        SchedulerSnapshot one = snapshot(8, 400, 64, 512, 20);
        one.addDecoding(spec("a", 9, 8), Location.HOST, 1, 0);
        IterationPlan alone = plan(new FastDecodeScheduler(), one);
        assertEquals(1, alone.cpuDecodesInFirstSubBatch(), "a single decode stays in B0");
        assertEquals(GEO.layers() * (linear(1) + p.cpuDecodeAttention(1, 10)) + p.embedAndHead(1, 1), alone.predictedSec(), 1e-12,
                "B0's linear layer, then its CPU attention under B1's empty window");
    }

    @Test
    void offloadPredictsPrefillsSwapsAndTheCpuRoundTripInSeries() {
        SchedulerSnapshot s = snapshot(6, 400, 64, 512, 1);
        for (String id : List.of("a", "b", "c")) s.addDecoding(spec(id, 32, 8), Location.GPU, 1, 0);  // c is swapped out
        s.addDecoding(spec("h", 59, 8), Location.HOST, 1, 0);
        s.addWaiting(spec("w", 20, 4));                                                                // GPU full: host
        IterationPlan plan = plan(new OffloadScheduler(), s);
        assertEquals(List.of("c"), ids(plan.swapOut()));
        assertEquals(List.of("w:20@host"), chunks(plan));
        assertEquals(List.of("c", "h"), ids(plan.cpuDecodes()), "the victim decodes on the host at once");
        Predictor p = predictor(1);
        double cpuPath = p.d2h(2 * GEO.qkvBytesPerToken(), 1) + p.cpuDecodeAttention(2, 33 + 60) + p.h2d(2 * GEO.attnOutBytesPerToken(), 1);
        double pref = p.prefillAttention(20, 1, 20L * 21 / 2);
        double swap = p.d2h(2L * 16 * GEO.kvBytesPerToken(), 2 * GEO.layers());
        assertEquals(GEO.layers() * (linear(24) + cpuPath + pref + gdec(2, 66)) + p.embedAndHead(24, 5) + swap, plan.predictedSec(), 1e-12);
    }

    @Test
    void offloadDecodesEveryHostRequestWhileTheGpuWaits() {
        SchedulerSnapshot s = snapshot(40, 400, 64, 512, 1);
        for (int i = 0; i < 5; i++) s.addDecoding(spec("g" + i, 99, 8), Location.GPU, 1, 0);
        for (int i = 0; i < 6; i++) s.addDecoding(spec("h" + i, 59, 8), Location.HOST, 1, 0);
        IterationPlan plan = plan(new OffloadScheduler(), s);
        assertEquals(Strategy.OFFLOAD_SERIAL, plan.strategy());
        assertEquals(6, plan.cpuDecodes().size());
        assertEquals(5, plan.gpuDecodes().size());
        Predictor p = predictor(1);
        double cpuPath = p.d2h(6 * GEO.qkvBytesPerToken(), 1) + p.cpuDecodeAttention(6, 360) + p.h2d(6 * GEO.attnOutBytesPerToken(), 1);
        assertEquals(GEO.layers() * (linear(11) + cpuPath + gdec(5, 500)) + p.embedAndHead(11, 11), plan.predictedSec(), 1e-12,
                "serial: linear layers, then the CPU's round trip, then GPU attention, every layer");
        SchedulerSnapshot gpuOnly = snapshot(40, 400, 64, 512, 1);
        gpuOnly.addDecoding(spec("g", 99, 8), Location.GPU, 1, 0);
        assertEquals(Strategy.GPU_ONLY, plan(new OffloadScheduler(), gpuOnly).strategy());
        SchedulerSnapshot budget = snapshot(3, 400, 64, 3, 1);  // a 3-block GPU pool: no swap-in
        for (int i = 0; i < 5; i++) budget.addDecoding(spec("h" + i, 59, 8), Location.HOST, 1, 0);
        assertEquals(3, plan(new OffloadScheduler(), budget).cpuDecodes().size(), "one token each within the 3-token budget");
    }

    @Test
    void theFactoryConfiguresNeosRuntimeAndRefusesUnknownOptions() {
        // the runtime pays runtimeLaunchMs per stage; NEO's scheduler predicts with launchMs (separate components)
        Engine single = EngineRegistry.create("static-hybrid:neo", EngineOptions.NONE);
        assertEquals(StaticHybridEngines.NEO_RUNTIME_LAUNCH_MS / 1000, single.launchSecPerStage(), 1e-15);
        assertTrue(single.description().contains("single-thread host runtime, launches 0.3 ms/stage, predicted as 0.8 ms/stage"),
                single.description());
        Engine custom = EngineRegistry.create("static-hybrid:neo", EngineOptions.of("runtimeLaunchMs", "2"));
        assertEquals(2e-3, custom.launchSecPerStage(), 1e-15);
        assertTrue(EngineRegistry.create("static-hybrid:neo", EngineOptions.of("launchMs", "2")).description()
                .contains("predicted as 2.0 ms/stage"));
        assertEquals(StaticHybridEngines.NEO_RUNTIME_LAUNCH_MS / 1000,
                EngineRegistry.create("static-hybrid:neo", EngineOptions.of("launchMs", "0")).launchSecPerStage(), 1e-15,
                "a free predicted launch is a valid setting, not an error");
        Engine two = EngineRegistry.create("static-hybrid:neo", EngineOptions.of("runtime", "two-thread"));
        assertEquals(0, two.launchSecPerStage());
        assertTrue(two.description().contains("two-thread runtime"), two.description());
        // both runtimes run NEO's serving loop between iterations, unless turned off
        assertEquals(HostLoopCost.SWIFTLLM, single.hostLoop());
        assertEquals(HostLoopCost.SWIFTLLM, two.hostLoop());
        assertTrue(single.description().endsWith(", NEO's serving-loop host time)"), single.description());
        Engine free = EngineRegistry.create("static-hybrid:neo", EngineOptions.of("hostLoop", "false"));
        assertEquals(HostLoopCost.NONE, free.hostLoop());
        assertTrue(free.description().endsWith(", no serving-loop host time)"), free.description());
        var badLoop = assertThrows(IllegalArgumentException.class,
                () -> EngineRegistry.create("static-hybrid:neo", EngineOptions.of("hostLoop", "sometimes")));
        assertTrue(badLoop.getMessage().contains("hostLoop") && badLoop.getMessage().contains("true/false"), badLoop.getMessage());
        var negative = assertThrows(IllegalArgumentException.class,
                () -> EngineRegistry.create("static-hybrid:neo", EngineOptions.of("launchMs", "-1")));
        assertEquals("option launchMs: expected a number >= 0, got '-1'", negative.getMessage());
        var freeLaunch = assertThrows(IllegalArgumentException.class,
                () -> EngineRegistry.create("static-hybrid:neo", EngineOptions.of("runtimeLaunchMs", "0")));
        assertEquals("option runtimeLaunchMs: expected a number > 0, got '0'", freeLaunch.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EngineRegistry.create("static-hybrid:neo", EngineOptions.of("runtime", "three")));
        for (String id : List.of("static-hybrid:fastdecode", "static-hybrid:offload")) {
            Engine e = EngineRegistry.create(id, EngineOptions.NONE);
            assertEquals(id, e.id());
            assertEquals(0, e.launchSecPerStage());
            var unknown = assertThrows(IllegalArgumentException.class, () -> EngineRegistry.create(id, EngineOptions.of("runtime", "two-thread")));
            assertTrue(unknown.getMessage().contains("unknown option(s) [runtime]"), unknown.getMessage());
        }
        assertTrue(EngineRegistry.create("static-hybrid:fastdecode", EngineOptions.NONE).schedulers().get() instanceof FastDecodeScheduler);
        assertTrue(EngineRegistry.create("static-hybrid:offload", EngineOptions.NONE).schedulers().get() instanceof OffloadScheduler);
        assertTrue(EngineRegistry.create("static-hybrid:neo", EngineOptions.NONE).schedulers().get() instanceof NeoScheduler);
        assertEquals(List.of(StaticHybridEngines.NEO, StaticHybridEngines.FASTDECODE, StaticHybridEngines.OFFLOAD), new StaticHybridEngines().ids());
        var wrong = assertThrows(IllegalArgumentException.class, () -> new StaticHybridEngines().create("apex", EngineOptions.NONE));
        assertTrue(wrong.getMessage().contains("does not offer engine apex"), wrong.getMessage());
    }
}
