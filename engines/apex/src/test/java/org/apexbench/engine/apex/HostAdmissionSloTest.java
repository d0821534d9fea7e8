package org.apexbench.engine.apex;

import static org.apexbench.engine.apex.ApexPlanTest.D;
import static org.apexbench.engine.apex.ApexPlanTest.chunks;
import static org.apexbench.engine.apex.ApexPlanTest.predictor;
import static org.apexbench.engine.apex.ApexPlanTest.snapshot;
import static org.apexbench.engine.apex.ApexPlanTest.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.SchedulerSnapshot;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * APEX's host admission at its boundaries (docs/engines.md#apex): a request the GPU pool can never hold goes to the
 * host whatever the CPU costs, and with a TTFT objective a waiting request is admitted to the host exactly when its
 * hand-computed queueing delay (waited so far, plus the soonest GPU request's remaining tokens and its own prefill,
 * one iteration each) exceeds the objective. The CPU is 40x the cheap one here, so no CPU row ever pays on its own.
 */
class HostAdmissionSloTest {
    static final Predictor SLOW_CPU = predictor(40, 1e-10);

    static ApexOptions ttft(double ttftSloSec) {
        return new ApexOptions(Double.NaN, D.starvationIterations(), true, true, D.swapInHysteresis(), D.margin(), D.neoPacking(),
                false, false, ttftSloSec);
    }

    static final ApexOptions NO_SLO = new ApexOptions(Double.NaN, D.starvationIterations(), true, true, D.swapInHysteresis(), D.margin(),
            D.neoPacking(), false, false, Double.NaN);

    /**
     * Five GPU decoders (35 of 40 blocks) of which g4 has 3 tokens left and the others 7, six host decoders, and w (80
     * tokens, arrived at 0.5 s) waiting: it does not fit the GPU's 5 free blocks.
     */
    static SchedulerSnapshot queue() { return queue(new RequestSpec("w", 0.5, new int[80], 40, SamplingParams.GREEDY)); }

    /** The GPU and host decoders of {@link #queue()} with {@code waiting} queued in order. */
    static SchedulerSnapshot queue(RequestSpec... waiting) {
        SchedulerSnapshot s = snapshot(40, 400, 512, SLOW_CPU);
        for (int i = 0; i < 4; i++) s.addDecoding(spec("g" + i, 99, 8), Location.GPU, 1, 0);
        s.addDecoding(spec("g4", 99, 8), Location.GPU, 5, 0);
        for (int i = 0; i < 6; i++) s.addDecoding(spec("h" + i, 59, 8), Location.HOST, 1, 100 - i);
        for (RequestSpec w : waiting) s.addWaiting(w);
        return s;
    }

    static IterationPlan plan(ApexOptions o, SchedulerSnapshot s, double now) { return new ApexScheduler(o).plan(s.context(101, now)); }

    @Test
    void withATtftSloAWaitingRequestGoesToTheHostExactlyWhenItsQueueingDelayWouldMissIt() {
        double now = 2.0;
        IterationPlan waits = plan(NO_SLO, queue(), now);
        assertEquals(Strategy.GPU_ONLY, waits.strategy(), "CPU rows this slow never pay");
        assertEquals(List.of(), chunks(waits), "without an objective w waits for GPU memory");
        double t = waits.predictedSec();
        // waited 1.5 s; g4 frees its blocks after 3 more iterations; then one iteration for w's own prefill
        double predicted = (now - 0.5) + 3 * t + t;
        assertEquals(List.of("w:80@host"), chunks(plan(ttft(predicted * (1 - 1e-9)), queue(), now)),
                "an objective just under the predicted TTFT: waiting misses it, the host takes w");
        assertEquals(List.of(), chunks(plan(ttft(predicted * (1 + 1e-9)), queue(), now)),
                "an objective just over it: w can wait for GPU memory");
        assertEquals(List.of(), chunks(plan(ttft(predicted), queue(), now)), "exactly met is met");
        // later, the same request has waited longer: the same objective is now missed
        assertEquals(List.of("w:80@host"), chunks(plan(ttft(predicted * (1 + 1e-9)), queue(), now + 0.01)));
    }

    /**
     * The queue behind a waiting request counts: w and w2 (100 tokens, 7 blocks) both arrived at 1 s and the pool
     * (39 blocks with the watermark) holds 35 + 5 t / 16 at iteration t. Waiting, w fits when g4 frees its 7 blocks
     * at 3 (28.75 + 5), first token after 4 iterations; w2 does not fit beside it (38.75 + 7) until g0..g3 finish at
     * 7, first token after 8. With the objective between the two, w goes to the host: then w2 fits at 3 (28.75 + 7)
     * and meets it, and waits.
     */
    @Test
    void withATtftSloTheRequestsQueuedBehindDecideWhetherTheHeadMayWait() {
        double now = 2.0;
        double t = plan(NO_SLO, twoQueued(), now).predictedSec();
        double head = 1.0 + 4 * t, tail = 1.0 + 8 * t;
        assertEquals(List.of("w:80@host"), chunks(plan(ttft((head + tail) / 2), twoQueued(), now)),
                "w alone would meet it, w2 behind it would not: w goes to the host, then w2 may wait");
        assertEquals(List.of("w:80@host"), chunks(plan(ttft(tail * (1 - 1e-9)), twoQueued(), now)), "w2 just misses it");
        assertEquals(List.of(), chunks(plan(ttft(tail * (1 + 1e-9)), twoQueued(), now)), "both meet it waiting");
    }

    /** {@link #queue()} with w and w2 (100 tokens) both arrived at 1 s. */
    static SchedulerSnapshot twoQueued() {
        return queue(new RequestSpec("w", 1.0, new int[80], 40, SamplingParams.GREEDY),
                new RequestSpec("w2", 1.0, new int[100], 40, SamplingParams.GREEDY));
    }

    @Test
    void aRequestTheGpuPoolCanNeverHoldGoesToTheHostWhateverTheCpuCosts() {
        // peak KV = prompt + output - 1 tokens; the GPU pool holds 40 blocks of 16 = 640 tokens
        SchedulerSnapshot s = snapshot(40, 400, 512, SLOW_CPU);
        for (int i = 0; i < 5; i++) s.addDecoding(spec("g" + i, 99, 8), Location.GPU, 1, 0);
        for (int i = 0; i < 6; i++) s.addDecoding(spec("h" + i, 59, 8), Location.HOST, 1, 100 - i);
        s.addWaiting(spec("big", 600, 41));   // 640 tokens: 40 blocks, the GPU could hold it once free
        assertEquals(List.of(), chunks(ApexPlanTest.plan(NO_SLO, s, 101)), "it waits for GPU memory");
        SchedulerSnapshot over = snapshot(40, 400, 512, SLOW_CPU);
        for (int i = 0; i < 5; i++) over.addDecoding(spec("g" + i, 99, 8), Location.GPU, 1, 0);
        for (int i = 0; i < 6; i++) over.addDecoding(spec("h" + i, 59, 8), Location.HOST, 1, 100 - i);
        over.addWaiting(spec("big", 600, 42));  // 641 tokens: 41 blocks, never on the GPU
        IterationPlan plan = ApexPlanTest.plan(NO_SLO, over, 101);
        assertEquals(1, plan.prefills().size(), chunks(plan).toString());
        assertEquals(Location.HOST, plan.prefills().getFirst().pool(), "the host is its only place");
        assertEquals("big", plan.prefills().getFirst().request().id());
    }

    static ApexOptions tpot(double tpotSloSec) {
        return new ApexOptions(tpotSloSec, D.starvationIterations(), true, true, D.swapInHysteresis(), D.margin(), D.neoPacking(),
                false, false, Double.NaN);
    }

    /** One GPU decoder g (100 tokens known, 7 of 10 blocks with the 1-block watermark), nothing on the host, w1 and w2 waiting. */
    static SchedulerSnapshot oneGpuDecoder() {
        SchedulerSnapshot s = snapshot(10, 400, 512, SLOW_CPU);
        s.addDecoding(spec("g", 99, 8), Location.GPU, 1, 0);
        s.addWaiting(spec("w1", 80, 40));    // 5 blocks: no room on the GPU; peak 119 tokens fits the GPU once free
        s.addWaiting(spec("w2", 160, 40));
        return s;
    }

    /**
     * With a TPOT SLO a host admission must also raise the throughput of the steady decode step (g's decode on the GPU,
     * every host admission so far as a CPU row that must run, asynchronous overlap: no host request to size a
     * pipeline): with this CPU w1's row lengthens the step more than it adds, so w1 waits for GPU memory even under an
     * SLO its step meets. Per layer: linear over the GPU and CPU rows, then the longer of g's GPU attention and the CPU
     * path (one q/k/v copy down, attention, one output copy up); g alone: linear of one row and its attention.
     */
    @Test
    void withATpotSloAHostRowThatLowersTheStepsRowsPerSecondWaitsAlthoughItsStepMeetsTheSlo() {
        Predictor p = SLOW_CPU;
        int layers = ApexPlanTest.GEO.layers();
        double copy = p.d2h(ApexPlanTest.GEO.qkvBytesPerToken(), 1) + p.h2d(ApexPlanTest.GEO.attnOutBytesPerToken(), 1);
        double gpuAttn = p.gpuDecodeAttention(1, 100);
        // w1 decodes its 81st token on the CPU
        double one = layers * (p.linear(2) + Math.max(gpuAttn, copy + p.cpuDecodeAttention(1, 81))) + p.embedAndHead(2, 2);
        double alone = layers * (p.linear(1) + gpuAttn) + p.embedAndHead(1, 1);
        assertTrue(2 / one < 1 / alone, "two rows in " + one + " s are fewer per second than one in " + alone + " s");
        assertEquals(List.of(), chunks(plan(NO_SLO, oneGpuDecoder(), 0)), "without an SLO no CPU row this slow pays");
        assertEquals(List.of(), chunks(plan(tpot(one * (1 - 1e-5)), oneGpuDecoder(), 0)), "the step with w1 misses the SLO");
        assertEquals(List.of(), chunks(plan(tpot(one * (1 + 1e-5)), oneGpuDecoder(), 0)),
                "the step with w1 meets it, but w1's row lowers its rows per second: gpu-only's candidate");
        assertEquals(List.of(), chunks(plan(tpot(100 * one), oneGpuDecoder(), 0)), "whatever the SLO");
    }

    /**
     * With a TPOT SLO the CPU candidates are taken least TPOT slack first, not least recently advanced: six host requests
     * advanced in the same iteration, whose budgets end at first token + 1 s x (output - 1): h_i has 12 - i seconds of
     * slack at time 0 (a fresh scheduler assumes 0 s iterations), so with room for two CPU rows h5 and h4 run.
     */
    @Test
    void withATpotSloTheCandidatesWithTheLeastSlackRunFirst() {
        SchedulerSnapshot s = snapshot(40, 400, 7, predictor(1, 1e-10));   // 5 GPU decodes leave 2 tokens
        for (int i = 0; i < 5; i++) s.addDecoding(spec("g" + i, 99, 8), Location.GPU, 1, 0);
        for (int i = 0; i < 6; i++) s.addDecoding(spec("h" + i, 59, 13 - i), Location.HOST, 1, 100);
        IterationPlan lrs = plan(NO_SLO, s, 0);
        assertEquals(List.of("h0", "h1"), ApexPlanTest.ids(lrs.cpuDecodes()).stream().sorted().toList(),
                "without an SLO: advanced at the same iteration, queue order");
        IterationPlan slack = plan(tpot(1.0), s, 0);
        assertEquals(List.of("h4", "h5"), ApexPlanTest.ids(slack.cpuDecodes()).stream().sorted().toList(),
                "with one: 7 s and 8 s of slack before 9 s .. 12 s");
    }

    /**
     * With both objectives, a request admitted because waiting would miss its TTFT is still a row of the steady decode
     * step that judges the next one, also when that step is first needed after it (the TTFT test runs first once the
     * iteration time it reads is fixed). g (313 of 335 GPU blocks, 3 tokens left) decodes on the GPU; w1 (arrived at 0)
     * and w2 (arrived now), 400 tokens each, do not fit beside it; the CPU is fast, so one CPU row pays. w1 misses a
     * 0.9 s TTFT waiting, w2 meets it; the TPOT objective lies between the step with w2's row and the one with w1's and
     * w2's rows: w2 waits.
     */
    @Test
    void aHostRowAdmittedForItsTtftCountsInTheStepThatJudgesTheNext() {
        Predictor p = predictor(1, 1e-10);
        int layers = ApexPlanTest.GEO.layers();
        double copy = p.d2h(ApexPlanTest.GEO.qkvBytesPerToken(), 1) + p.h2d(ApexPlanTest.GEO.attnOutBytesPerToken(), 1);
        double gpuAttn = p.gpuDecodeAttention(1, 5007);
        double one = layers * (p.linear(2) + Math.max(gpuAttn, copy + p.cpuDecodeAttention(1, 401))) + p.embedAndHead(2, 2);
        double two = layers * (p.linear(3) + Math.max(gpuAttn, copy + p.cpuDecodeAttention(2, 802))) + p.embedAndHead(3, 3);
        assertTrue(two > 1.05 * one, one + " s with one CPU row, " + two + " s with two");
        ApexOptions both = new ApexOptions((one + two) / 2, D.starvationIterations(), true, true, D.swapInHysteresis(), D.margin(),
                D.neoPacking(), false, false, 0.9);
        double now = 1.0;
        RequestSpec w1 = new RequestSpec("w1", 0, new int[400], 40, SamplingParams.GREEDY);
        RequestSpec w2 = new RequestSpec("w2", now, new int[400], 40, SamplingParams.GREEDY);
        ApexScheduler apex = new ApexScheduler(both);
        SchedulerSnapshot s = gpuNearlyFull(p, w1, w2);
        apex.plan(s.context(100, now));   // a first plan fixes the mean iteration time the TTFT test reads
        assertEquals(List.of("w1:400@host"), chunks(apex.plan(s.context(101, now))), "w1's row makes w2's step miss the TPOT objective");
        ApexScheduler alone = new ApexScheduler(both);
        SchedulerSnapshot s2 = gpuNearlyFull(p, w2);
        alone.plan(s2.context(100, now));
        assertEquals(List.of("w2:400@host"), chunks(alone.plan(s2.context(101, now))), "without w1 the step with w2 meets it and pays");
    }

    /** g (10 + 4,996 tokens known, 313 blocks) decoding on a 335-block GPU pool with 3 tokens left; {@code waiting} queued. */
    static SchedulerSnapshot gpuNearlyFull(Predictor p, RequestSpec... waiting) {
        SchedulerSnapshot s = snapshot(335, 2000, 2048, p);
        s.addDecoding(spec("g", 10, 5000), Location.GPU, 4997, 0);
        for (RequestSpec w : waiting) s.addWaiting(w);
        return s;
    }

    @Test
    void theOptionsRefuseValuesJustOutsideTheirRanges() {
        assertThrows(IllegalArgumentException.class, () -> new ApexOptions(Double.NaN, 1, true, true, 0, 0, true, false, true, Double.NaN),
                "swapInHysteresis 0");
        assertThrows(IllegalArgumentException.class, () -> new ApexOptions(Double.NaN, 1, true, true, 1, 1, true, false, true, Double.NaN),
                "margin 1");
        assertThrows(IllegalArgumentException.class, () -> new ApexOptions(Double.POSITIVE_INFINITY, 1, true, true, 1, 0, true, false, true,
                Double.NaN), "TPOT SLO infinite");
        var zero = assertThrows(IllegalArgumentException.class, () -> new ApexOptions(Double.NaN, 1, true, true, 1, 0, true, false, true, 0));
        assertTrue(zero.getMessage().contains("TTFT SLO must be > 0 and finite"), zero.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ApexOptions(Double.NaN, 0, true, true, 1, 0, true, false, true, Double.NaN),
                "starvationIterations 0");
        assertEquals(ApexOptions.OPTIONS, new ApexEngines().options("apex"), "apex offers every option it parses");
    }
}
