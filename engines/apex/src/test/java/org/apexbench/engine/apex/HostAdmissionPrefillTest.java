package org.apexbench.engine.apex;

import static org.apexbench.engine.apex.ApexPlanTest.D;
import static org.apexbench.engine.apex.ApexPlanTest.GEO;
import static org.apexbench.engine.apex.ApexPlanTest.chunks;
import static org.apexbench.engine.apex.ApexPlanTest.predictor;
import static org.apexbench.engine.apex.ApexPlanTest.snapshot;
import static org.apexbench.engine.apex.ApexPlanTest.spec;
import static org.apexbench.engine.apex.HostAdmissionBudgetTest.copy;
import static org.apexbench.engine.apex.HostAdmissionSloTest.SLOW_CPU;
import static org.apexbench.engine.apex.HostAdmissionSloTest.gpuNearlyFull;
import static org.apexbench.engine.apex.HostAdmissionSloTest.plan;
import static org.apexbench.engine.apex.HostAdmissionSloTest.tpot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.Location;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.SchedulerSnapshot;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * Host admission prices the prefills to come (docs/engines.md#apex, SLO-aware scheduling), on states computed by hand:
 * the admitted prompt's later chunks and the queue's prompts are charged to the TPOT budget of each running request
 * whose last token comes after them, and the TTFT forecast counts the decode step per iteration plus the prefills of
 * the prompts ahead. g decodes on the GPU (a 630-token prompt, 40 of 60 blocks, 4 tokens of output, 1 out at time 0),
 * so its last token must come by 3 S, its tokens come in this iteration and the next two; w (700 tokens) does not fit
 * beside it and the CPU is the cheap one, so w's row raises the steady step's rows per second.
 */
class HostAdmissionPrefillTest {
    static final int L = GEO.layers();
    static final double NOW = 0.01;
    /** The cheap CPU: w's row (701 tokens of context) raises the steady step's rows per second. */
    static final Predictor FAST = predictor(1, 1e-10);

    /** The steady decode step: g on the GPU, w's first decode on the CPU (asynchronous overlap). */
    static double step(Predictor p) {
        return L * (p.linear(2) + Math.max(p.gpuDecodeAttention(1, 631), copy(p) + p.cpuDecodeAttention(1, 701))) + p.embedAndHead(2, 2);
    }

    /** A chunk of {@code len} tokens from {@code start} beside g's decode (one row): per layer linear growth and attention, and its head. */
    static double chunk(Predictor p, int start, int len, boolean completes) {
        long pairs = (long) len * start + (long) len * (len + 1) / 2;
        return L * (p.linear(1 + len) - p.linear(1) + p.prefillAttention(len, 1, pairs))
                + p.embedAndHead(1 + len, completes ? 2 : 1) - p.embedAndHead(1, 1);
    }

    /** g and w, with {@code maxTokens} an iteration, and {@code behind} queued after w. */
    static SchedulerSnapshot gAndW(int maxTokens, RequestSpec... behind) {
        SchedulerSnapshot s = snapshot(60, 2000, maxTokens, FAST);
        s.addDecoding(spec("g", 630, 4), Location.GPU, 1, 0);
        s.addWaiting(spec("w", 700, 40));    // 44 blocks; peak 739 tokens, 47 blocks: the GPU could hold it once free
        for (RequestSpec b : behind) s.addWaiting(b);
        return s;
    }

    /**
     * With 512 tokens an iteration w's prompt takes two chunks: 511 tokens now (g's decode takes one), 189 in the next
     * iteration, before g's last token. The budget test used to price only this iteration's: between the two flips w
     * went to the host, and its second chunk then put g over S.
     */
    @Test
    void aHostAdmissionWhoseSecondChunkWouldBreakAShortRequestsBudgetWaits() {
        Predictor p = FAST;
        var loose = plan(tpot(100), gAndW(512), NOW);
        assertEquals(List.of("w:511@host"), chunks(loose), "a loose objective: the host takes w's first chunk");
        double with = loose.predictedSec();
        double rest = chunk(p, 511, 189, true);
        double firstOnly = (with + NOW + 2 * step(p)) / 3, whole = firstOnly + rest / 3;
        assertTrue(step(p) < firstOnly, "the budget, not the steady step, decides here");
        assertEquals(List.of(), chunks(plan(tpot(whole * (1 - 1e-9)), gAndW(512), NOW)),
                "just under the flip with the second chunk: w waits, although its first chunk alone fits g's budget");
        assertEquals(List.of(), chunks(plan(tpot((firstOnly + whole) / 2), gAndW(512), NOW)), "between the two flips: w waits");
        assertEquals(List.of("w:511@host"), chunks(plan(tpot(whole * (1 + 1e-9)), gAndW(512), NOW)),
                "just over it: both chunks fit g's budget");
        // the same prompt in one chunk (an iteration of 2,048 tokens): nothing comes later, the flip is the iteration's
        var oneChunk = plan(tpot(100), gAndW(2048), NOW);
        assertEquals(List.of("w:700@host"), chunks(oneChunk));
        double flip = (oneChunk.predictedSec() + NOW + 2 * step(p)) / 3;
        assertEquals(List.of("w:700@host"), chunks(plan(tpot(flip * (1 + 1e-9)), gAndW(2048), NOW)));
        assertEquals(List.of(), chunks(plan(tpot(flip * (1 - 1e-9)), gAndW(2048), NOW)));
    }

    /**
     * w2 (150 tokens, 10 blocks) queued behind w fits the GPU beside g now, so with w on the host it is predicted to be
     * prefilled in the next iteration, inside g's window: its prefill is reserved in g's budget. At an objective just
     * over w's own flip w goes to the host when nothing is queued behind it and waits when w2 is; w2's prefill moves
     * the flip by exactly its predicted time over g's three tokens.
     */
    @Test
    void thePrefillOfARequestQueuedBehindIsReservedInTheBudgetOfEachRunningRequestWhoseLastTokenComesAfterIt() {
        Predictor p = FAST;
        RequestSpec w2 = spec("w2", 150, 4);
        double with = plan(tpot(100), gAndW(2048), NOW).predictedSec();
        double flip = (with + NOW + 2 * step(p)) / 3;
        double reserved = flip + chunk(p, 0, 150, true) / 3;
        assertEquals(List.of("w:700@host"), chunks(plan(tpot(flip * (1 + 1e-9)), gAndW(2048), NOW)), "nothing queued behind w");
        assertEquals(List.of(), chunks(plan(tpot(flip * (1 + 1e-9)), gAndW(2048, w2), NOW)),
                "w2's prefill in the next iteration leaves g no room for w's");
        assertEquals(List.of(), chunks(plan(tpot(reserved * (1 - 1e-9)), gAndW(2048, w2), NOW)));
        assertEquals("w:700@host", chunks(plan(tpot(reserved * (1 + 1e-9)), gAndW(2048, w2), NOW)).getFirst(),
                "with room for both prefills w goes to the host");
        // a request queued behind that fits the GPU only after g's last token is outside its window
        RequestSpec late = spec("late", 400, 4);   // 25 blocks: beside g's 40 only once g has finished
        assertEquals(List.of("w:700@host"), chunks(plan(tpot(flip * (1 + 1e-9)), gAndW(2048, late), NOW)));
    }

    /**
     * a (100 tokens, 7 blocks) fits the GPU beside g and FCFS admits it there first; w (700 tokens) then does not fit
     * and goes to the host if g's budget holds. The iteration that would admit w also prefills a's whole prompt, so
     * the budget test prices it with a's chunk: between the flip without a's chunk and the flip with it, w waits.
     */
    @Test
    void theBudgetTestPricesTheAdmittingIterationWithTheSameIterationsGpuAdmissions() {
        Predictor p = FAST;
        var loose = plan(tpot(100), gpuAdmissionThenW(), NOW);
        assertEquals(List.of("w:700@host", "a:100"), chunks(loose), "a loose objective: a on the GPU, then w on the host");
        double with = loose.predictedSec();
        // the steady step: g and a (as a decode) on the GPU, w's first decode on the CPU
        double step = L * (p.linear(3) + Math.max(p.gpuDecodeAttention(2, 631 + 100), copy(p) + p.cpuDecodeAttention(1, 701)))
                + p.embedAndHead(3, 3);
        double flip = (with + NOW + 2 * step) / 3;
        double withoutA = (with - chunk(p, 0, 100, true) + NOW + 2 * step) / 3;
        assertTrue(step < withoutA, "the budget, not the steady step, decides here");
        assertEquals(List.of("a:100"), chunks(plan(tpot((withoutA + flip) / 2), gpuAdmissionThenW(), NOW)),
                "between the flips: w waits (priced without a's chunk it went to the host and the iteration broke g's budget)");
        assertEquals(List.of("a:100"), chunks(plan(tpot(flip * (1 - 1e-9)), gpuAdmissionThenW(), NOW)));
        assertEquals(List.of("w:700@host", "a:100"), chunks(plan(tpot(flip * (1 + 1e-9)), gpuAdmissionThenW(), NOW)),
                "just over the flip with a's chunk: w goes to the host");
    }

    /** g as in {@link #gAndW}, a (100 tokens, 4 out) and w queued, 2,048 tokens an iteration. */
    static SchedulerSnapshot gpuAdmissionThenW() {
        SchedulerSnapshot s = snapshot(60, 2000, 2048, FAST);
        s.addDecoding(spec("g", 630, 4), Location.GPU, 1, 0);
        s.addWaiting(spec("a", 100, 4));     // 7 blocks: fits beside g's 40
        s.addWaiting(spec("w", 700, 40));    // 44 blocks: not beside g and a
        return s;
    }

    /**
     * The TTFT forecast behind two long prompts: g (313 of 335 blocks, 3 tokens left) frees its memory at iteration 3,
     * when L1 and L2 (1,000 tokens each) and q (100 tokens), all arrived at 0, fit; q's first token then comes after
     * 3 decode steps of g alone, plus the prefills of L1, L2 and its own, each one iteration of g's step lengthened by
     * the prefill. The CPU is slow, so no TPOT test admits; the TTFT objective around q's forecast decides whether L1
     * goes to the host.
     */
    @Test
    void theTtftForecastOfAQueueBehindTwoLongPromptsIncludesTheirPrefills() {
        Predictor p = SLOW_CPU;
        double gStep = L * (p.linear(1) + p.gpuDecodeAttention(1, 5007)) + p.embedAndHead(1, 1);
        double now = 1.0;
        double first = now + (3 + 1) * gStep + 2 * chunk(p, 0, 1000, true) + chunk(p, 0, 100, true);
        assertTrue(2 * chunk(p, 0, 1000, true) > gStep, "the prefills are more than a decode step: counting them is what is tested");
        RequestSpec l1 = new RequestSpec("L1", 0, new int[1000], 40, SamplingParams.GREEDY);
        RequestSpec l2 = new RequestSpec("L2", 0, new int[1000], 40, SamplingParams.GREEDY);
        RequestSpec q = new RequestSpec("q", 0, new int[100], 40, SamplingParams.GREEDY);
        List<String> misses = chunks(new ApexScheduler(both(first * (1 - 1e-9))).plan(gpuNearlyFull(p, l1, l2, q).context(100, now)));
        assertTrue(!misses.isEmpty() && misses.getFirst().equals("L1:1000@host"), "q would miss it waiting: L1 goes to the host " + misses);
        assertEquals(List.of(), chunks(new ApexScheduler(both(first * (1 + 1e-9))).plan(gpuNearlyFull(p, l1, l2, q).context(100, now))),
                "q meets it waiting: L1 waits for GPU memory");
    }

    /** A loose TPOT objective (1 s) and TTFT objective {@code ttftSec}. */
    static ApexOptions both(double ttftSec) {
        return new ApexOptions(1.0, D.starvationIterations(), true, true, D.swapInHysteresis(), D.margin(), D.neoPacking(), false, false,
                ttftSec);
    }
}
