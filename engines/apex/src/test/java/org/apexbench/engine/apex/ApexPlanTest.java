package org.apexbench.engine.apex;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.Engine;
import org.apexbench.profiler.metrics.Slo;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.Location;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.runtime.SchedulerSnapshot;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * What APEX plans in hand-built situations (docs/engines.md#apex): chunked FCFS prefills on the GPU above a 1% watermark,
 * the newest GPU request swapped out when the pool overflows, host requests swapped back oldest first within one
 * iteration's worth of PCIe time, host admission only when one more CPU row pays, CPU candidates served least
 * recently advanced first, the starvation guard, the options that switch pipelining and host admission off, and the
 * predicted time of a GPU-only plan in closed form.
 */
class ApexPlanTest {
    static final ModelGeometry GEO = new ModelGeometry("m", 4, 8, 8, 1, 1, 50, 8, 8192, false, 1, 1, 2);

    static double linear(int rows) { return 2 * (1e-3 + 1e-5 * rows); }

    /** CPU attention {@code cpuFactor} times a cheap one; copies cost {@code secPerByte} per byte. */
    static Predictor predictor(double cpuFactor, double secPerByte) {
        return Predictor.of((op, f) -> switch (op) {
            case PRE, POST -> 1e-3 + 1e-5 * f.rows();
            case EMBED -> 1e-4 + 1e-7 * f.rows();
            case LM_HEAD -> 2e-4 + 1e-6 * f.rows();
            case PREFILL_ATTN -> 1e-8 * f.prefillPairs();
            case GPU_DECODE_ATTN -> 1e-4 + 1e-7 * f.contextTokens();
            case CPU_DECODE_ATTN -> cpuFactor * (1e-4 + 2e-5 * f.requests() + 1e-6 * f.contextTokens());
            case QKV_D2H, ATTN_OUT_H2D, SWAP_IN, SWAP_OUT -> 1e-6 * Math.max(1, f.requests()) + f.bytes() * secPerByte;
            case LAUNCH -> 0;
        });
    }

    static final ApexOptions D = ApexOptions.DEFAULT;

    static ApexOptions with(boolean hostAdmission, boolean pipeline) {
        return new ApexOptions(D.tpotSloSec(), D.starvationIterations(), hostAdmission, pipeline, D.swapInHysteresis(), D.margin(),
                D.neoPacking(), D.amortizedAdmission(), false, Double.NaN);
    }

    static final ApexOptions PLAIN = with(true, true);

    static RequestSpec spec(String id, int prompt, int out) { return new RequestSpec(id, 0, new int[prompt], out, SamplingParams.GREEDY); }

    static SchedulerSnapshot snapshot(int gpuBlocks, int hostBlocks, int maxTokens, Predictor p) {
        return new SchedulerSnapshot(GEO, new EngineBudgets(64, maxTokens, gpuBlocks, hostBlocks, 16), p);
    }

    static IterationPlan plan(ApexOptions o, SchedulerSnapshot s, long iteration) { return new ApexScheduler(o).plan(s.context(iteration, 0)); }

    static IterationPlan plan(SchedulerSnapshot s) { return plan(PLAIN, s, 0); }

    static List<String> ids(List<RequestState> l) { return l.stream().map(RequestState::id).toList(); }

    static List<String> chunks(IterationPlan p) {
        return p.prefills().stream().map(c -> c.request().id() + ":" + c.length() + (c.pool() == Location.HOST ? "@host" : "")).toList();
    }

    @Test
    void waitingRequestsArePrefilledInChunksFcfsAndAGpuOnlyPlanIsPredictedInClosedForm() {
        Predictor p = predictor(1, 1e-10);
        SchedulerSnapshot s = snapshot(40, 0, 256, p);
        s.addWaiting(spec("w1", 100, 4));
        s.addWaiting(spec("w2", 300, 4));   // 19 blocks for its whole context; a 156-token chunk this iteration
        s.addWaiting(spec("w3", 10, 4));
        IterationPlan plan = plan(s);
        assertEquals(List.of("w1:100", "w2:156"), chunks(plan), "the token budget ends in w2's chunk; w3 waits its turn");
        assertEquals(Strategy.GPU_ONLY, plan.strategy());
        double pref = p.prefillAttention(100, 1, 100L * 101 / 2) + p.prefillAttention(156, 1, 156L * 157 / 2);
        assertEquals(GEO.layers() * (linear(256) + pref) + p.embedAndHead(256, 1), plan.predictedSec(), 1e-12,
                "only w1's chunk completes and samples");
        SchedulerSnapshot watermark = snapshot(20, 0, 512, p);
        watermark.addWaiting(spec("w", 304, 4));  // 19 blocks + the 1-block watermark = 20: fits exactly
        assertEquals(List.of("w:304"), chunks(plan(watermark)));
        SchedulerSnapshot over = snapshot(20, 0, 512, p);
        over.addWaiting(spec("w", 305, 4));        // 20 blocks + 1 > 20
        assertEquals(List.of(), chunks(plan(over)));
    }

    @Test
    void theNewestGpuRequestIsSwappedOutWhenThePoolOverflowsAndNothingIsAdmittedThen() {
        Predictor p = predictor(40, 1e-10);  // the CPU is too slow to take the victim's decode this iteration
        SchedulerSnapshot s = snapshot(6, 40, 512, p);
        for (String id : List.of("a", "b", "c")) s.addDecoding(spec(id, 32, 8), Location.GPU, 1, 0);  // 33 tokens next: 3 blocks each
        s.addWaiting(spec("w", 4, 4));
        IterationPlan plan = plan(s);
        assertEquals(List.of("c"), ids(plan.swapOut()));
        assertEquals(List.of("a", "b"), ids(plan.gpuDecodes()));
        assertEquals(List.of(), chunks(plan), "no admission in an iteration that swaps out");
        double swap = p.d2h(2L * 16 * GEO.kvBytesPerToken(), 2 * GEO.layers());
        double gpu = linear(2) + p.gpuDecodeAttention(2, 66);
        assertEquals(GEO.layers() * gpu + p.embedAndHead(2, 2) + swap, plan.predictedSec(), 1e-12, "the swap's PCIe time is paid up front");
        SchedulerSnapshot noHost = snapshot(6, 2, 512, p);
        for (String id : List.of("a", "b", "c")) noHost.addDecoding(spec(id, 32, 8), Location.GPU, 1, 0);
        IterationPlan recompute = plan(noHost);
        assertEquals(List.of("c"), ids(recompute.recompute()), "a victim the host cannot take is recomputed");
        assertEquals(List.of(), recompute.swapOut());
    }

    @Test
    void aHostRequestWhoseNextTokenFindsTheHostFullIsRecomputedNewestFirst() {
        SchedulerSnapshot s = snapshot(2, 4, 512, predictor(1, 1e-10));
        s.addDecoding(spec("h1", 32, 8), Location.HOST, 1, 0);
        s.addDecoding(spec("h2", 32, 8), Location.HOST, 1, 0);
        IterationPlan plan = plan(s);
        assertEquals(List.of("h2"), ids(plan.recompute()));
        assertFalse(ids(plan.cpuDecodes()).contains("h2"));
    }

    @Test
    void hostRequestsComeBackOldestFirstWithinTheHysteresisAndOneIterationOfPcieTime() {
        SchedulerSnapshot s = snapshot(19, 400, 512, predictor(1, 1e-10));
        s.addDecoding(spec("g", 99, 8), Location.GPU, 1, 0);    // 7 blocks
        for (String id : List.of("h1", "h2", "h3")) s.addDecoding(spec(id, 59, 8), Location.HOST, 1, 0);  // 4 each
        IterationPlan plan = plan(s);
        assertEquals(List.of("h1", "h2"), ids(plan.swapIn()), "7 + 12 > round(0.95 x 19): h3 stays");
        assertTrue(ids(plan.gpuDecodes()).containsAll(List.of("g", "h1", "h2")));
        // PCIe at 1 us per byte: one swap-in (25.6 ms) is more than an iteration's linear time; only the first goes
        SchedulerSnapshot slow = snapshot(19, 400, 512, predictor(1, 1e-6));
        slow.addDecoding(spec("g", 99, 8), Location.GPU, 1, 0);
        for (String id : List.of("h1", "h2", "h3")) slow.addDecoding(spec(id, 59, 8), Location.HOST, 1, 0);
        assertEquals(List.of("h1"), ids(plan(slow).swapIn()));
    }

    /** Five GPU decoders in a 40-block pool (35 blocks), six host decoders, one waiting prompt too big for the GPU. */
    static SchedulerSnapshot busy(Predictor p, int maxTokens) {
        SchedulerSnapshot s = snapshot(40, 400, maxTokens, p);
        for (int i = 0; i < 5; i++) s.addDecoding(spec("g" + i, 99, 8), Location.GPU, 1, 0);
        for (int i = 0; i < 6; i++) s.addDecoding(spec("h" + i, 59, 8), Location.HOST, 1, 100 - i);
        s.addWaiting(spec("w", 80, 40));
        return s;
    }

    @Test
    void cpuRowsThatHideUnderTheOtherSubBatchArePipelinedAndPayForAHostAdmission() {
        // CPU attention 4x the cheap one: too slow to hide under GPU attention (AO), hidden under linear layers (AP)
        IterationPlan plan = plan(PLAIN, busy(predictor(4, 1e-10), 512), 101);
        assertEquals(Strategy.ASYMMETRIC_PIPELINE, plan.strategy());
        assertEquals(6, plan.cpuDecodes().size(), "every host request runs");
        assertEquals(List.of("w:80@host"), chunks(plan), "one more CPU row raises the rate: admitted to the host");
        IterationPlan noAdmission = plan(with(false, true), busy(predictor(4, 1e-10), 512), 101);
        assertEquals(Strategy.ASYMMETRIC_PIPELINE, noAdmission.strategy());
        assertEquals(List.of(), chunks(noAdmission), "hostAdmission=false: it waits for GPU memory");
        IterationPlan noPipeline = plan(with(true, false), busy(predictor(4, 1e-10), 512), 101);
        assertEquals(Strategy.ASYNC_OVERLAP, noPipeline.strategy(), "pipeline=false: the best of the rest");
        assertEquals(5, noPipeline.cpuDecodes().size(), "AO hides fewer CPU rows");
        assertEquals(List.of(), chunks(noPipeline), "and a sixth would not pay, let alone a seventh");
        IterationPlan cheap = plan(PLAIN, busy(predictor(1, 1e-10), 512), 101);
        assertEquals(Strategy.ASYNC_OVERLAP, cheap.strategy(), "cheap enough to hide under GPU attention: one sub-batch");
        assertEquals(6, cheap.cpuDecodes().size());
    }

    static ApexOptions withSlo(boolean pipeline, double tpotSloSec) {
        return new ApexOptions(tpotSloSec, D.starvationIterations(), true, pipeline, D.swapInHysteresis(), D.margin(), D.neoPacking(),
                false, false, Double.NaN);
    }

    /**
     * The margin rule leaves the sixth host request waiting (AO, no pipelining: it adds more time than rows); with a TPOT
     * SLO and every host request out of budget (first token at 0 s, now 101 s, 1 token), all six must run, and the plan
     * still meets the SLO. An SLO no plan meets gives the plan without one.
     */
    @Test
    void withATpotSloEveryHostRequestOutOfBudgetRuns() {
        SchedulerSnapshot s = busy(predictor(4, 1e-10), 512);
        IterationPlan margin = new ApexScheduler(with(true, false)).plan(s.context(101, 101));
        assertEquals(5, margin.cpuDecodes().size(), "the margin rule alone runs five");
        IterationPlan slo = new ApexScheduler(withSlo(false, 10)).plan(s.context(101, 101));
        assertEquals(6, slo.cpuDecodes().size(), "the SLO-aware choice runs every request that cannot wait");
        assertTrue(slo.predictedSec() <= 10, "within the SLO: " + slo.predictedSec());
        IterationPlan again = new ApexScheduler(withSlo(false, 10)).plan(s.context(101, 101));
        assertEquals(slo.toString(), again.toString(), "deterministic");
        IterationPlan lost = new ApexScheduler(withSlo(false, 1e-9)).plan(s.context(101, 101));
        assertEquals(margin.cpuDecodes().size(), lost.cpuDecodes().size(), "an SLO no plan meets: the most rows per second");
        assertEquals(margin.strategy(), lost.strategy());
    }

    @Test
    void tpotSlackIsTheBudgetLeftAfterRunningEveryIterationFromTheNextOn() {
        SchedulerSnapshot s = snapshot(40, 400, 512, predictor(1, 1e-10));
        RequestState r = s.addDecoding(spec("h", 10, 100), Location.HOST, 10, 0);   // first token at 0 s
        // last token due by 0.2 x 99 = 19.8 s; waiting one iteration it comes after 91 iterations of 50 ms from now
        assertEquals(19.8 - 1 - 0.05 * 91, ApexScheduler.tpotSlackSec(r, 1, 0.2, 0.05), 1e-9);
        assertTrue(ApexScheduler.tpotSlackSec(r, 16, 0.2, 0.05) < 0, "late in its budget it must run");
        assertTrue(ApexScheduler.tpotSlackSec(s.addWaiting(spec("w", 10, 5)), 0, 0.2, 0.05) < 0, "no token yet: no slack");
    }

    static ApexOptions amortized() {
        return new ApexOptions(D.tpotSloSec(), D.starvationIterations(), true, true, D.swapInHysteresis(), D.margin(), D.neoPacking(), true, false, Double.NaN);
    }

    /** {@link #busy} with a waiting request that will generate {@code out} tokens. */
    static SchedulerSnapshot busyWith(Predictor p, int out) {
        SchedulerSnapshot s = snapshot(40, 400, 512, p);
        for (int i = 0; i < 5; i++) s.addDecoding(spec("g" + i, 99, 8), Location.GPU, 1, 0);
        for (int i = 0; i < 6; i++) s.addDecoding(spec("h" + i, 59, 8), Location.HOST, 1, 100 - i);
        s.addWaiting(spec("w", 80, out));
        return s;
    }

    @Test
    void amortizedAdmissionWeighsTheNewcomersPrefillAgainstItsFutureTokens() {
        assertEquals(List.of(), chunks(plan(amortized(), busyWith(predictor(1, 1e-10), 2), 101)),
                "two tokens do not pay for an 80-token prefill in this iteration");
        assertEquals(List.of("w:80@host"), chunks(plan(amortized(), busyWith(predictor(1, 1e-10), 40), 101)),
                "forty nearly free CPU decode steps do");
        assertEquals(List.of("w:80@host"), chunks(plan(PLAIN, busyWith(predictor(1, 1e-10), 2), 101)),
                "the one-iteration rule looks only at this iteration's rows per second");
        assertEquals(List.of(), chunks(plan(amortized(), busyWith(predictor(40, 1e-10), 400), 101)), "no CPU row pays at all");
        IterationPlan pipelined = plan(amortized(), busyWith(predictor(4, 1e-10), 400), 101);
        assertEquals(Strategy.ASYMMETRIC_PIPELINE, pipelined.strategy());
        assertEquals(List.of("w:80@host"), chunks(pipelined));
        assertEquals(6, pipelined.cpuDecodes().size());
    }

    @Test
    void expensiveCpuRowsWaitUntilTheStarvationGuardForcesOne() {
        IterationPlan early = plan(PLAIN, busy(predictor(40, 1e-10), 512), 101);
        assertEquals(Strategy.GPU_ONLY, early.strategy());
        assertEquals(List.of(), early.cpuDecodes());
        assertEquals(List.of(), chunks(early), "no CPU row pays: nothing is admitted to the host either");
        IterationPlan starving = plan(PLAIN, busy(predictor(40, 1e-10), 512), 151);
        assertNotEquals(Strategy.GPU_ONLY, starving.strategy(), "h5 last advanced at 95: 56 > 50 iterations ago");
        assertTrue(ids(starving.cpuDecodes()).contains("h5"), "the least recently advanced runs first: " + ids(starving.cpuDecodes()));
    }

    @Test
    void cpuCandidatesAreTheLeastRecentlyAdvancedWhenTheTokenBudgetIsShort() {
        IterationPlan plan = plan(PLAIN, busy(predictor(1, 1e-10), 7), 101);  // 5 GPU decodes leave 2 tokens
        assertEquals(5, plan.gpuDecodes().size());
        assertEquals(List.of("h4", "h5"), ids(plan.cpuDecodes()).stream().sorted().toList(), "last advanced at 96 and 95");
        assertEquals(List.of(), chunks(plan));
    }

    @Test
    void requestsThatCanNeverFitAreRefusedNamingTheNumbers() {
        ApexScheduler s = new ApexScheduler(PLAIN);
        KvCapacity b = KvCapacity.empty(new EngineBudgets(64, 512, 10, 30, 16), GEO);
        assertNull(s.infeasibility(spec("gpu", 100, 61), b), "160 tokens: the GPU's 10 blocks");
        assertNull(s.infeasibility(spec("host", 100, 221), b), "320 tokens: 20 blocks, exactly the host's room beyond its reserve");
        assertEquals("needs 21 KV blocks but the GPU pool has 10 and the host pool leaves 20 beyond its swap reserve",
                s.infeasibility(spec("big", 100, 237), b));
        assertEquals("needs 11 KV blocks but the GPU pool has 10 and the host pool leaves 0 beyond its swap reserve",
                s.infeasibility(spec("big", 100, 77), KvCapacity.empty(new EngineBudgets(64, 512, 10, 4, 16), GEO)));
    }

    @Test
    void admissionPaysWhenTheNewcomersTokensCostNoMorePerTokenThanTodays() {
        // today: 10 rows in 20 ms (2 ms a row); the admission iteration takes 30 ms for 12 rows
        assertFalse(HostAdmission.admissionPays(0, 0.020, 10, 0.030, 12, 0), "10 ms for 2 tokens: 5 ms a token");
        assertTrue(HostAdmission.admissionPays(0, 0.020, 10, 0.023, 12, 0), "3 ms for 2 tokens");
        assertFalse(HostAdmission.admissionPays(0, 0.020, 10, 0.030, 11, 0), "10 ms for one token: 5x today's cost");
        assertTrue(HostAdmission.admissionPays(99, 0.020, 10, 0.030, 11, 0.001), "(10 + 99) ms for 100 tokens: under 2 ms each");
        assertFalse(HostAdmission.admissionPays(99, 0.020, 10, 0.030, 11, 0.002), "(10 + 198) ms for 100 tokens");
        assertTrue(HostAdmission.admissionPays(9, 0.020, 10, 0.020, 11, 0.002), "exactly 2 ms a token pays");
        assertTrue(HostAdmission.admissionPays(0, 0, 0, 1, 1, 1), "nothing runs today: anything pays");
        assertTrue(HostAdmission.admissionPays(0, 0.020, 10, 0.019, 11, 0), "a faster iteration costs nothing");
    }

    @Test
    void theFactoryParsesEveryOptionAndRefusesBadValues() {
        Engine d = EngineRegistry.create("apex", EngineOptions.NONE);
        assertEquals("apex", d.id());
        assertEquals(0, d.launchSecPerStage());
        assertTrue(d.description().contains("margin 2.0%, two-thread runtime"), d.description());
        Engine all = EngineRegistry.create("apex", EngineOptions.of("tpotSloMs", "150", "pipeline", "false", "hostAdmission", "false",
                "neoPacking", "false", "amortizedAdmission", "true", "recalibrate", "false", "marginPct", "5"));
        for (String part : List.of("TPOT SLO 150.0 ms", "no pipelining", "no host admission", "prefix split only", "amortized host admission",
                "no recalibration", "margin 5.0%")) {
            assertTrue(all.description().contains(part), part + " in " + all.description());
        }
        assertTrue(all.schedulers().get() instanceof ApexScheduler);
        for (String[] bad : new String[][] {{"starvationIterations", "0"}, {"swapInHysteresis", "0"}, {"swapInHysteresis", "1.5"},
                {"marginPct", "-1"}, {"marginPct", "100"}, {"tpotSloMs", "0"}}) {
            assertThrows(IllegalArgumentException.class, () -> EngineRegistry.create("apex", EngineOptions.of(bad[0], bad[1])),
                    bad[0] + "=" + bad[1]);
        }
        var unknown = assertThrows(IllegalArgumentException.class, () -> EngineRegistry.create("apex", EngineOptions.of("runtime", "x")));
        assertTrue(unknown.getMessage().contains("unknown option(s) [runtime]"), unknown.getMessage());
        var wrong = assertThrows(IllegalArgumentException.class, () -> new ApexEngines().create("gpu-only", EngineOptions.NONE));
        assertTrue(wrong.getMessage().contains("does not offer engine gpu-only"), wrong.getMessage());
        assertEquals(List.of("apex"), new ApexEngines().ids());
        ApexOptions o = new ApexOptions(0.15, 7, false, false, 0.5, 0.05, false, true, false, 9);
        assertEquals(1, new ApexOptions(Double.NaN, 1, true, true, 1, 0, true, false, true, Double.NaN).starvationIterations(),
                "the boundaries are valid");
        assertEquals(0.15, o.tpotSloSec());
        assertEquals(9, o.ttftSloSec());
    }

    @Test
    void theRunsSlosReachApexAndItsOwnOptionsWin() {
        Slo run = new Slo(10_000, 200, Double.NaN);
        Engine fromRun = EngineRegistry.create("apex", EngineOptions.NONE, run);
        assertTrue(fromRun.description().contains("TPOT SLO 200.0 ms, TTFT SLO 10000.0 ms"), fromRun.description());
        Engine own = EngineRegistry.create("apex", EngineOptions.of("tpotSloMs", "150", "ttftSloMs", "5000"), run);
        assertTrue(own.description().contains("TPOT SLO 150.0 ms, TTFT SLO 5000.0 ms"), own.description());
        assertFalse(EngineRegistry.create("apex", EngineOptions.NONE, Slo.NONE).description().contains("SLO"));
        ApexOptions o = ApexOptions.DEFAULT.withRunSlo(run);
        assertEquals(0.2, o.tpotSloSec(), 1e-12);
        assertEquals(10, o.ttftSloSec(), 1e-12);
        // the other engines accept and ignore the run's SLOs
        assertEquals(EngineRegistry.create("gpu-only", EngineOptions.NONE).description(),
                EngineRegistry.create("gpu-only", EngineOptions.NONE, run).description());
    }

    @Test
    void badSloOptionsAreRefusedNamingTheOption() {
        for (String[] bad : new String[][] {{"ttftSloMs", "0"}, {"ttftSloMs", "-5"}, {"ttftSloMs", "x"}, {"tpotSloMs", "-1"},
                {"tpotSloMs", "y"}}) {
            var e = assertThrows(IllegalArgumentException.class, () -> EngineRegistry.create("apex", EngineOptions.of(bad[0], bad[1])),
                    bad[0] + "=" + bad[1]);
            assertTrue(e.getMessage().contains(bad[0]), e.getMessage());
        }
        var inf = assertThrows(IllegalArgumentException.class, () -> new ApexOptions(Double.NaN, 1, true, true, 1, 0, true, false, true,
                Double.POSITIVE_INFINITY));
        assertTrue(inf.getMessage().contains("TTFT SLO must be > 0 and finite"), inf.getMessage());
        var zero = assertThrows(IllegalArgumentException.class, () -> new ApexOptions(0, 1, true, true, 1, 0, true, false, true,
                Double.NaN));
        assertTrue(zero.getMessage().contains("TPOT SLO must be > 0 and finite"), zero.getMessage());
    }
}
