package org.apexbench.engine.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.StubContext;
import org.apexbench.engine.StubRequest;
import org.apexbench.engine.predict.Predictor;

/**
 * What each engine's {@link PlacementRules} change in {@link Placement}, one rule at a time, on states written down by
 * hand (blocks of 16 tokens; {@link StubRequest}s hold exactly their cached tokens' blocks): APEX's eviction of any
 * phase, oldest-first swap-ins within a PCIe budget, chunked admission beside reserved tokens, its watermark, its host
 * reserve on pool use and no admission while preempting; FastDecode's GPU pool that only stages prefills; NEO's
 * continued prefills within the staging area. Where a rule decides, the same state is placed under NEO's rules too,
 * so each test shows the rule changing the outcome.
 */
class PlacementRulesTest {
    static final int BS = 16;
    static final int LAYERS = PlacementTest.GEO.layers();
    static final long BLOCK_BYTES = KvCapacity.blockBytes(PlacementTest.GEO, BS);

    /**
     * Prices only what placement reads: linear 2 s per row (APEX's swap-in budget: 4 layers x 2 s = 8 s); a swap in
     * takes 1 s per block, out 2 s per block, plus 1/8 s per transfer (2 per layer: 1 s a swap).
     */
    static final Predictor PCIE = new Predictor() {
        @Override public double linear(int rows) { return 2.0 * rows; }
        @Override public double prefillAttention(int newTokens, int sequences, long pairs) { throw new AssertionError(); }
        @Override public double gpuDecodeAttention(int requests, long contextTokens) { throw new AssertionError(); }
        @Override public double cpuDecodeAttention(int requests, long contextTokens) { throw new AssertionError(); }
        @Override public double d2h(long bytes, int transfers) { return 2.0 * bytes / BLOCK_BYTES + transfers / 8.0; }
        @Override public double h2d(long bytes, int transfers) { return (double) bytes / BLOCK_BYTES + transfers / 8.0; }
        @Override public double embedAndHead(int rows, int sampledRows) { throw new AssertionError(); }
    };

    static StubRequest gpuDecode(String id, int index, int prompt) { return StubRequest.decoding(id, index, prompt, 1, Location.GPU, BS); }

    static StubRequest hostDecode(String id, int index, int prompt) { return StubRequest.decoding(id, index, prompt, 1, Location.HOST, BS); }

    /** A state: pools, budgets and the queues. */
    record State(int gpuBlocks, int hostBlocks, int maxRunning, int maxTokens, List<StubRequest> waiting, List<StubRequest> gpu,
                 List<StubRequest> host) {
        StubContext context() {
            return StubContext.of(new EngineBudgets(maxRunning, maxTokens, gpuBlocks, hostBlocks, BS), PlacementTest.GEO, PCIE,
                    waiting, gpu, host);
        }
    }

    static Placement neo(State s) { return Placement.neo(s.context(), PlacementRules.neo(-1, true, PCIE, LAYERS)); }

    static Placement fastDecode(State s) { return Placement.neo(s.context(), PlacementRules.neo(0, false, PCIE, LAYERS)); }

    static Placement apex(State s, double hysteresis, boolean hostAdmission, int reservedTokens, Placement.HostAdmission decision) {
        Placement p = new Placement(s.context(), PlacementRules.apex(hysteresis, hostAdmission, PCIE, LAYERS));
        p.preempt();
        p.schedule();
        p.admit(reservedTokens, decision);
        return p;
    }

    static Placement apex(State s) { return apex(s, 0.95, true, 0, c -> true); }

    static List<String> ids(List<RequestState> l) { return l.stream().map(RequestState::id).toList(); }

    static List<String> chunks(List<PrefillChunk> l) { return l.stream().map(c -> c.request().id() + ":" + c.length()).toList(); }

    @Test
    void apexEvictsTheNewestGpuRequestOfAnyPhaseAndAdmitsNothingThatIteration() {
        // a decodes in 4 blocks; b, 32 of 100 prompt tokens cached, needs 7 after this step: 11 > 10
        State s = new State(10, 100, 64, 512, List.of(StubRequest.waiting("w", 2, 16, 4)),
                List.of(gpuDecode("a", 0, 63), StubRequest.prefilling("b", 1, 100, 32, Location.GPU, BS)), List.of());
        Placement a = apex(s);
        assertEquals(List.of("b"), ids(a.recompute), "mid-prefill: nothing to swap, recomputed");
        assertEquals(List.of(), a.swapOut);
        assertEquals(List.of("a"), ids(a.gpuDecodes));
        assertEquals(4, a.gpuHeld());
        assertEquals(List.of(), a.prefills(), "no admission in an iteration that preempts");

        Placement n = neo(s);
        assertEquals(List.of("a"), ids(n.swapOut), "NEO evicts only decodes");
        assertEquals(List.of(), n.recompute);
        assertEquals(List.of("b:68", "w:16"), chunks(n.prefills()), "and admits while it preempts");
        assertEquals(7 + 1, n.gpuHeld());
    }

    @Test
    void apexKeepsDecodesBeyondTheTokenBudgetOnTheGpu() {
        State s = new State(40, 400, 64, 2, List.of(),
                List.of(gpuDecode("a", 0, 31), gpuDecode("b", 1, 31), gpuDecode("c", 2, 31)), List.of());
        Placement p = apex(s);
        assertEquals(List.of(), p.swapOut);
        assertEquals(List.of(), p.recompute);
        assertEquals(List.of("a", "b"), ids(p.gpuDecodes), "c waits for a later iteration in place");
        assertEquals(6, p.gpuHeld());
        assertEquals(List.of("c"), ids(neo(s).swapOut));
    }

    @Test
    void apexSwapsInTheOldestHostRequestsFirstWithinThePcieBudgetAndTheyDecodeAsGpuRows() {
        // swap-in prices: 3 blocks -> 3 + 1 = 4 s, 2 blocks -> 3 s; the budget is 8 s
        State s = new State(40, 400, 64, 512, List.of(), List.of(gpuDecode("g", 0, 63)),
                List.of(hostDecode("hNew", 9, 31), hostDecode("hMid", 5, 47), hostDecode("hOld", 1, 47)));
        Placement p = apex(s, 0.5, true, 0, c -> true);
        assertEquals(List.of("hOld", "hMid"), ids(p.swapIn), "4 + 4 s is exactly the budget; 3 s more is over it");
        assertEquals(8.0, p.swapInSec);
        assertEquals(8.0, p.swapSeconds());
        assertEquals(List.of("g", "hOld", "hMid"), ids(p.gpuDecodes));
        assertEquals(512 - 3, p.tokensLeft);
        assertEquals(List.of("hNew"), ids(p.cpuQueue));
        assertEquals(4 + 3 + 3, p.gpuHeld());

        // 10 blocks (11 s) alone exceed the budget: the first swap-in always goes, none after it
        State big = new State(40, 400, 64, 512, List.of(), List.of(gpuDecode("g", 0, 63)),
                List.of(hostDecode("hNew", 9, 31), hostDecode("hOld", 1, 159)));
        Placement q = apex(big, 0.5, true, 0, c -> true);
        assertEquals(List.of("hOld"), ids(q.swapIn));
        assertEquals(11.0, q.swapInSec);

        State neoOrder = new State(40, 400, 64, 512, List.of(), List.of(gpuDecode("g", 0, 63)),
                List.of(hostDecode("hNew", 9, 31), hostDecode("hOld", 1, 159)));
        assertEquals(List.of("hNew", "hOld"), ids(neo(neoOrder).swapIn), "NEO: from the head of the CPU queue, no budget");
    }

    @Test
    void apexSwapsInUpToExactlyItsHysteresisShareOfTheGpuPool() {
        // round(0.5 x 40) = 20 blocks: 4 held + 16 fits exactly, 5 + 16 does not
        State fits = new State(40, 400, 64, 512, List.of(), List.of(gpuDecode("g", 0, 63)), List.of(hostDecode("h", 1, 255)));
        assertEquals(List.of("h"), ids(apex(fits, 0.5, true, 0, c -> true).swapIn));
        State over = new State(40, 400, 64, 512, List.of(), List.of(gpuDecode("g", 0, 79)), List.of(hostDecode("h", 1, 255)));
        Placement p = apex(over, 0.5, true, 0, c -> true);
        assertEquals(List.of(), p.swapIn);
        assertEquals(List.of("h"), ids(p.cpuQueue));
        assertEquals(0.0, p.swapInSec);
    }

    @Test
    void apexSwapsNothingInBehindAnOldestHostRequestMidPrefillOrInAnIterationThatRecomputes() {
        State midPrefill = new State(40, 400, 64, 512, List.of(), List.of(gpuDecode("g", 0, 63)),
                List.of(hostDecode("hNew", 9, 31), StubRequest.prefilling("hOld", 1, 100, 32, Location.HOST, BS)));
        Placement p = apex(midPrefill);
        assertEquals(List.of(), p.swapIn);
        assertEquals(List.of("hNew"), ids(p.cpuQueue));
        assertEquals(List.of("hOld:68"), chunks(p.hostContinued), "its prefill continues on the host, in one chunk");
        assertEquals(List.of("hNew"), ids(neo(midPrefill).swapIn), "NEO swaps in the head of its CPU queue");

        // the host pool is full (4 of 4) and a grows by one block: b, the newest, is recomputed
        State recomputes = new State(40, 4, 64, 512, List.of(StubRequest.waiting("w", 3, 16, 4)), List.of(),
                List.of(hostDecode("a", 1, 32), hostDecode("b", 2, 31)));
        Placement q = apex(recomputes);
        assertEquals(List.of("b"), ids(q.recompute));
        assertEquals(List.of(), q.swapIn);
        assertEquals(List.of("a"), ids(q.cpuQueue));
        assertEquals(List.of(), q.prefills());
        Placement n = neo(recomputes);
        assertEquals(List.of("a"), ids(n.swapIn));
        assertEquals(List.of(), n.prefills(), "NEO's host reserve (4 - 40 blocks) takes no prompt, so NEO admits none even to"
                + " the GPU (NeoReserveGateTest); its admission while preempting: apexEvictsTheNewestGpuRequest...");
    }

    @Test
    void apexAdmitsAChunkOfWhatTheBudgetLeavesAfterTheReservedTokens() {
        State s = new State(100, 400, 64, 64, List.of(StubRequest.waiting("w1", 1, 100, 4), StubRequest.waiting("w2", 2, 10, 4)),
                List.of(gpuDecode("g", 0, 15)), List.of());
        Placement p = apex(s, 0.95, true, 10, c -> true);
        assertEquals(List.of("w1:53"), chunks(p.gpuAdmitted), "64 - 1 decode - 10 reserved");
        assertEquals(10, p.tokensLeft, "the reserved tokens stay for CPU decodes");
        assertEquals(1 + 7, p.gpuHeld(), "the chunk's request holds its whole prompt's blocks");
        assertEquals(64 - 1 - 1, p.slotsLeft);
        Placement none = apex(s, 0.95, true, 63, c -> true);
        assertEquals(List.of(), none.prefills());
        assertEquals(63, none.tokensLeft);
        assertEquals(List.of("w1:1"), chunks(apex(s, 0.95, true, 62, c -> true).gpuAdmitted), "one token left is still a chunk");
    }

    @Test
    void hostAdmissionsAreBoundedByTheReserveAndByWhatTheHostHasFreeAfterThisStepsGrowth() {
        // 2 GPU blocks (every prompt goes to the host), 20 host blocks: reserve 18. Empty host: w1 (10 blocks) fits,
        // w2 (9) would fit the free blocks but 10 + 9 exceeds the reserve
        State reserve = new State(2, 20, 64, 2048, List.of(StubRequest.waiting("w1", 0, 160, 4), StubRequest.waiting("w2", 1, 144, 4)),
                List.of(), List.of());
        assertEquals(List.of("w1:160"), chunks(apex(reserve).hostAdmitted));
        // three host decodes hold 6 blocks and each takes a 7th..9th this step: 20 - 6 - 3 = 11 free; w (11) fits exactly,
        // w (12) is within the reserve (6 + 12 = 18) but not free; after w1 (6) and w2 (5), w3 (1) finds none free
        List<StubRequest> growing = List.of(hostDecode("a", 0, 32), hostDecode("b", 1, 32), hostDecode("c", 2, 32));
        assertEquals(List.of("w:176"), chunks(apex(new State(2, 20, 64, 2048, List.of(StubRequest.waiting("w", 3, 176, 4)), List.of(),
                growing)).hostAdmitted));
        assertEquals(List.of(), apex(new State(2, 20, 64, 2048, List.of(StubRequest.waiting("w", 3, 192, 4)), List.of(), growing)).prefills());
        State three = new State(2, 20, 64, 2048, List.of(StubRequest.waiting("w1", 3, 96, 4), StubRequest.waiting("w2", 4, 80, 4),
                StubRequest.waiting("w3", 5, 1, 4)), List.of(), growing);
        assertEquals(List.of("w1:96", "w2:80"), chunks(apex(three).hostAdmitted));
    }

    @Test
    void apexLeavesOnePercentOfTheGpuPoolFree() {
        // ceil(0.01 x 150) = 2 blocks: 100 + 48 + 2 = 150 fits, 100 + 49 + 2 does not (and the host has no pool)
        State fits = new State(150, 0, 64, 2048, List.of(StubRequest.waiting("w", 1, 768, 4)), List.of(gpuDecode("g", 0, 1599)), List.of());
        assertEquals(List.of("w:768"), chunks(apex(fits).gpuAdmitted));
        State over = new State(150, 0, 64, 2048, List.of(StubRequest.waiting("w", 1, 769, 4)), List.of(gpuDecode("g", 0, 1599)), List.of());
        assertEquals(List.of(), apex(over).prefills());
        State overWithReserve = new State(150, 400, 64, 2048, List.of(StubRequest.waiting("w", 1, 769, 4)),
                List.of(gpuDecode("g", 0, 1599)), List.of());
        assertEquals(List.of("w:769"), chunks(neo(overWithReserve).gpuAdmitted), "NEO has no watermark (its host reserve has room)");
    }

    @Test
    void apexJudgesTheHostReserveOnWhatTheHostPoolHoldsAndAsksTheDecisionForEachHostAdmission() {
        // GPU full; host reserve 10 - 4 = 6 blocks; h holds 2 blocks now and 3 after this step; w needs 4
        State s = new State(4, 10, 64, 512, List.of(StubRequest.waiting("w", 2, 64, 4)), List.of(gpuDecode("g", 0, 63)),
                List.of(hostDecode("h", 1, 32)));
        assertEquals(List.of("w:64"), chunks(apex(s).hostAdmitted), "2 held + 4 = 6: exactly the reserve");
        assertEquals(List.of(), neo(s).hostAdmitted, "NEO counts h's 3 blocks after the step: 7 > 6");
        assertEquals(List.of(), apex(s, 0.95, false, 0, c -> true).prefills(), "host admission off");
        List<PrefillChunk> asked = new ArrayList<>();
        Placement refused = apex(s, 0.95, true, 0, c -> {
            asked.add(c);
            return false;
        });
        assertEquals(List.of(), refused.prefills());
        assertEquals(List.of("w:64"), chunks(asked));
        assertEquals(Location.HOST, asked.getFirst().pool());
        assertEquals(512 - 1, refused.tokensLeft);
    }

    @Test
    void onceARequestGoesToTheHostEveryLaterOneDoesUntilTheSlotsRunOut() {
        // 8 GPU blocks, 4 held: w1 (4 blocks) + the 1-block watermark does not fit, w2 (1 block) would
        State s = new State(8, 40, 3, 512, List.of(StubRequest.waiting("w1", 1, 64, 4), StubRequest.waiting("w2", 2, 16, 4),
                StubRequest.waiting("w3", 3, 1, 4)), List.of(gpuDecode("g", 0, 63)), List.of());
        Placement p = apex(s);
        assertEquals(List.of(), p.gpuAdmitted);
        assertEquals(List.of("w1:64", "w2:16"), chunks(p.hostAdmitted), "FCFS order keeps w2 behind w1, on the host");
        assertEquals(0, p.slotsLeft, "3 running at most: w3 waits");
        assertEquals(512 - 1 - 80, p.tokensLeft);
    }

    @Test
    void fastDecodeSwapsEveryGpuDecodeOutAndStagesEveryPromptForTheHostInTheGpuPool() {
        State decoding = new State(4, 400, 64, 512, List.of(), List.of(gpuDecode("g", 0, 31)), List.of());
        Placement d = fastDecode(decoding);
        assertEquals(List.of("g"), ids(d.swapOut), "the GPU pool holds no decodes");
        assertEquals(List.of("g"), ids(d.cpuQueue));
        assertEquals(List.of(), d.swapIn);
        assertEquals(2 * 2 + 1.0, d.swapSeconds(), "2 blocks out at 2 s each, plus 1 s of transfers");

        // the 4-block GPU pool stages 64 host-bound tokens per step
        State prompts = new State(4, 400, 64, 512, List.of(StubRequest.waiting("w1", 0, 32, 4), StubRequest.waiting("w2", 1, 32, 4),
                StubRequest.waiting("w3", 2, 16, 4)), List.of(), List.of());
        Placement p = fastDecode(prompts);
        assertEquals(List.of(), p.gpuAdmitted, "an empty GPU pool takes no request");
        assertEquals(List.of("w1:32", "w2:32"), chunks(p.hostAdmitted));
    }

    @Test
    void neoContinuesPrefillsWithinTheTokenBudgetAndHostBoundOnesWithinTheStagingArea() {
        State tight = new State(40, 400, 64, 50, List.of(), List.of(gpuDecode("g", 0, 15),
                StubRequest.prefilling("q", 1, 100, 32, Location.GPU, BS)), List.of(StubRequest.prefilling("hq", 2, 200, 64, Location.HOST, BS)));
        Placement t = neo(tight);
        assertEquals(List.of("q:49"), chunks(t.gpuContinued), "what the 50 tokens leave after the decode");
        assertEquals(List.of(), t.hostContinued, "no token left");
        State oneToken = new State(40, 400, 64, 2, List.of(), List.of(gpuDecode("g", 0, 15),
                StubRequest.prefilling("q", 1, 100, 32, Location.GPU, BS)), List.of());
        assertEquals(List.of("q:1"), chunks(neo(oneToken).gpuContinued), "one token left is still a chunk");

        // a 4-block GPU pool stages 64 tokens: hq continues with 64 of its 136, and nothing else is staged
        State staged = new State(4, 400, 64, 512, List.of(StubRequest.waiting("w", 3, 80, 4)), List.of(),
                List.of(StubRequest.prefilling("hq", 2, 200, 64, Location.HOST, BS)));
        Placement s = neo(staged);
        assertEquals(List.of("hq:64"), chunks(s.hostContinued));
        assertEquals(List.of(), s.hostAdmitted, "w, never whole, is not alone at the head");
        assertEquals(List.of("hq:136"), chunks(apex(staged).hostContinued), "APEX stages nothing: the whole rest");
    }

    @Test
    void aHostPrefillContinuingThisStepTakesItsShareOfTheStagingArea() {
        // GPU full (g holds the 4 blocks); hq's 24 tokens take 2 of the 4 staging blocks: 32 tokens of room stay
        List<StubRequest> gpu = List.of(gpuDecode("g", 0, 63));
        List<StubRequest> host = List.of(StubRequest.prefilling("hq", 1, 40, 16, Location.HOST, BS));
        Placement fits = neo(new State(4, 400, 64, 512, List.of(StubRequest.waiting("w", 2, 32, 4)), gpu, host));
        assertEquals(List.of("hq:24", "w:32"), chunks(fits.prefills()));
        Placement over = neo(new State(4, 400, 64, 512, List.of(StubRequest.waiting("w", 2, 48, 4)), gpu, host));
        assertEquals(List.of("hq:24"), chunks(over.prefills()), "48 tokens exceed the 32 left");
    }

    @Test
    void aPromptOfExactlyTheTokenBudgetWaitsForAnIterationThatTakesItWhole() {
        State s = new State(40, 400, 64, 64, List.of(StubRequest.waiting("w", 1, 64, 4)), List.of(gpuDecode("g", 0, 15)), List.of());
        Placement p = neo(s);
        assertEquals(List.of(), p.prefills(), "63 tokens are left after the decode; the next iteration without it takes 64");
        assertEquals(List.of("w:64"), chunks(neo(new State(40, 400, 64, 64, List.of(StubRequest.waiting("w", 1, 64, 4)), List.of(),
                List.of())).gpuAdmitted));
    }

    @Test
    void prefillsComeInNeosOrderAndTheirWidthIsTheirTokens() {
        // a 10-block GPU pool: q needs 7, w1 1; w2's 3 blocks go to the host within the 8 staging blocks hq leaves
        State s = new State(10, 400, 64, 512, List.of(StubRequest.waiting("w1", 3, 16, 4), StubRequest.waiting("w2", 4, 48, 4)),
                List.of(StubRequest.prefilling("q", 1, 100, 32, Location.GPU, BS)),
                List.of(StubRequest.prefilling("hq", 2, 40, 16, Location.HOST, BS)));
        Placement p = neo(s);
        assertEquals(List.of("q:68", "w1:16", "hq:24", "w2:48"), chunks(p.prefills()));
        assertEquals(68 + 16 + 24 + 48, Placement.width(p.prefills()));
        assertEquals(512 - 156, p.tokensLeft);
    }

    @Test
    void swapsArePricedAsEveryLayersKAndVCopiedWhole() {
        PlacementRules rules = PlacementRules.neo(-1, true, PCIE, LAYERS);
        StubRequest r = gpuDecode("r", 0, 47);  // 3 blocks
        KvCapacity kv = new State(10, 10, 1, 1, List.of(), List.of(), List.of()).context().kv();
        assertEquals(3 + 2 * LAYERS / 8.0, rules.swapInSeconds(kv, r));
        assertEquals(2 * 3 + 2 * LAYERS / 8.0, rules.swapOutSeconds(kv, r));
        assertEquals(LAYERS * PCIE.linear(1), PlacementRules.apex(0.5, true, PCIE, LAYERS).swapInBudgetSec());
    }
}
