package org.apexbench.engine.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.SchedulerSnapshot;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * NEO's placement steps at their boundaries (blocks of 16 tokens; a decoding request of prompt 16k - 1 holds k
 * blocks and needs no more for its next token, one of prompt 16k needs a (k+1)-th): what fits exactly is taken, one
 * block or token more is not, and the budgets left after each step are what the later steps and the scheduler use.
 * NEO's rules over the whole GPU pool with swap-ins, as NeoScheduler places.
 */
class PlacementTest {
    static final ModelGeometry GEO = new ModelGeometry("m", 4, 8, 8, 1, 1, 50, 8, 8192, false, 1, 1, 2);
    /** NEO's placement prices nothing (its swap-ins have no PCIe budget): any predictor places the same. */
    static final Predictor FLAT = Predictor.of((op, f) -> 1e-3);

    static RequestSpec spec(String id, int prompt, int out) { return new RequestSpec(id, 0, new int[prompt], out, SamplingParams.GREEDY); }

    static List<String> ids(List<RequestState> l) { return l.stream().map(RequestState::id).toList(); }

    static SchedulerSnapshot snapshot(int gpuBlocks, int hostBlocks, int maxRunning, int maxTokens) {
        return new SchedulerSnapshot(GEO, new EngineBudgets(maxRunning, maxTokens, gpuBlocks, hostBlocks, 16), FLAT);
    }

    static Placement place(SchedulerSnapshot s) {
        return Placement.neo(s.context(0, 0), PlacementRules.neo(-1, true, FLAT, GEO.layers()));
    }

    /** The GPU-bound prefill chunks: continued, then admitted. */
    static List<PrefillChunk> gpuPrefills(Placement p) {
        List<PrefillChunk> l = new ArrayList<>(p.gpuContinued);
        l.addAll(p.gpuAdmitted);
        return l;
    }

    /** The host-bound prefill chunks: continued, then admitted. */
    static List<PrefillChunk> cpuPrefills(Placement p) {
        List<PrefillChunk> l = new ArrayList<>(p.hostContinued);
        l.addAll(p.hostAdmitted);
        return l;
    }

    static List<String> chunks(List<PrefillChunk> l) {
        return l.stream().map(c -> c.request().id() + ":" + c.length()).toList();
    }

    @Test
    void eachDecodeTakesOneTokenAndEachAdmissionASlotAndItsLength() {
        SchedulerSnapshot s = snapshot(40, 400, 8, 100);
        for (String id : List.of("a", "b", "c")) s.addDecoding(spec(id, 31, 8), Location.GPU, 1, 0);
        s.addWaiting(spec("w", 20, 4));
        Placement p = place(s);
        assertEquals(List.of("a", "b", "c"), ids(p.gpuDecodes));
        assertEquals(List.of("w:20"), chunks(gpuPrefills(p)));
        assertEquals(100 - 3 - 20, p.tokensLeft);
        assertEquals(8 - 3 - 1, p.slotsLeft);
    }

    @Test
    void gpuRequestsAreSwappedOutOnlyBeyondThePoolOrTheTokenBudget() {
        SchedulerSnapshot exact = snapshot(6, 400, 64, 512);
        exact.addDecoding(spec("a", 32, 8), Location.GPU, 1, 0);  // 3 blocks next
        exact.addDecoding(spec("b", 31, 8), Location.GPU, 1, 0);  // 2
        exact.addDecoding(spec("c", 15, 8), Location.GPU, 1, 0);  // 1: exactly the 6 blocks
        assertEquals(List.of(), place(exact).swapOut);

        SchedulerSnapshot budget = snapshot(40, 400, 64, 3);
        for (String id : List.of("a", "b", "c")) budget.addDecoding(spec(id, 31, 8), Location.GPU, 1, 0);
        Placement fits = place(budget);
        assertEquals(List.of(), fits.swapOut, "three decodes in a 3-token budget");
        assertEquals(0, fits.tokensLeft);

        SchedulerSnapshot over = snapshot(40, 400, 64, 2);
        for (String id : List.of("a", "b", "c")) over.addDecoding(spec(id, 31, 8), Location.GPU, 1, 0);
        Placement p = place(over);
        assertEquals(List.of("c"), ids(p.swapOut), "the newest leaves for the token budget too");
        assertEquals(List.of("a", "b"), ids(p.gpuDecodes));
        assertEquals(0, p.tokensLeft, "its token is given back");
    }

    @Test
    void victimsGoToTheHostWhileItHasRoomAndHeadTheCpuQueueOldestFirst() {
        SchedulerSnapshot roomy = snapshot(40, 9, 64, 1);  // a 1-token budget: two of three decoders leave
        for (String id : List.of("a", "b", "c")) roomy.addDecoding(spec(id, 32, 8), Location.GPU, 1, 0);  // 3 blocks each next
        roomy.addDecoding(spec("h", 15, 8), Location.HOST, 1, 0);                                          // 1 host block
        Placement p = place(roomy);
        assertEquals(List.of("c", "b"), ids(p.swapOut), "newest first; 3 + 3 blocks fit the 8 the host has free");
        assertEquals(List.of(), p.recompute);
        assertEquals(List.of("b", "c", "h"), ids(p.cpuQueue), "this iteration's victims first, oldest first, then the host's own");

        SchedulerSnapshot tight = snapshot(40, 6, 64, 1);
        for (String id : List.of("a", "b", "c")) tight.addDecoding(spec(id, 32, 8), Location.GPU, 1, 0);
        tight.addDecoding(spec("h", 15, 8), Location.HOST, 1, 0);
        Placement q = place(tight);
        assertEquals(List.of("c"), ids(q.swapOut), "c takes 3 of the 5 free host blocks");
        assertEquals(List.of("b"), ids(q.recompute), "the 2 left cannot take b");
        assertEquals(List.of("c", "h"), ids(q.cpuQueue));
    }

    @Test
    void hostRequestsGrowFirstAndTheNewestIsRecomputedOnlyWhenTheHostCannotTakeTheGrowth() {
        SchedulerSnapshot exact = snapshot(2, 6, 64, 512);  // a 2-block GPU pool: nothing is swapped in
        exact.addDecoding(spec("h1", 32, 8), Location.HOST, 1, 0);  // holds 2, needs 3
        exact.addDecoding(spec("h2", 32, 8), Location.HOST, 1, 0);  // growth 2 = the 2 free blocks
        Placement p = place(exact);
        assertEquals(List.of(), p.recompute);
        assertEquals(List.of("h1", "h2"), ids(p.cpuQueue));

        // 5 host blocks: growth 2 > 1 free, so h2 (2 blocks) is recomputed; 1 + 2 - 1 = 2 blocks stay free for a GPU victim
        SchedulerSnapshot fitting = snapshot(4, 5, 64, 512);
        fitting.addDecoding(spec("h1", 32, 8), Location.HOST, 1, 0);
        fitting.addDecoding(spec("h2", 32, 8), Location.HOST, 1, 0);
        fitting.addDecoding(spec("a", 32, 8), Location.GPU, 1, 0);   // 3 blocks next
        fitting.addDecoding(spec("b", 31, 8), Location.GPU, 1, 0);   // 2: 5 > 4, b leaves, needing 2
        Placement q = place(fitting);
        assertEquals(List.of("h2"), ids(q.recompute));
        assertEquals(List.of("b"), ids(q.swapOut), "exactly the 2 blocks left");
        assertEquals(List.of("b", "h1"), ids(q.cpuQueue));

        SchedulerSnapshot short1 = snapshot(4, 5, 64, 512);
        short1.addDecoding(spec("h1", 32, 8), Location.HOST, 1, 0);
        short1.addDecoding(spec("h2", 32, 8), Location.HOST, 1, 0);
        short1.addDecoding(spec("b", 31, 8), Location.GPU, 1, 0);    // 2 blocks
        short1.addDecoding(spec("a", 32, 8), Location.GPU, 1, 0);    // newest, 3 blocks next: 5 > 4, a leaves, needing 3
        Placement r = place(short1);
        assertEquals(List.of("h2", "a"), ids(r.recompute), "3 blocks exceed the 2 left: recomputed");
        assertEquals(List.of(), r.swapOut);
    }

    @Test
    void theOldestHostRequestsAreSwappedInUpToExactlyTheHysteresisAndTheTokenBudget() {
        SchedulerSnapshot s = snapshot(20, 400, 64, 512);         // round(0.95 x 20) = 19 blocks
        s.addDecoding(spec("g", 111, 8), Location.GPU, 1, 0);       // 7 blocks
        for (String id : List.of("h1", "h2", "h3", "h4")) s.addDecoding(spec(id, 63, 8), Location.HOST, 1, 0);  // 4 each
        Placement p = place(s);
        assertEquals(List.of("h1", "h2", "h3"), ids(p.swapIn), "7 + 12 = 19 fits exactly, a fourth would not");
        assertEquals(List.of("g", "h1", "h2", "h3"), ids(p.gpuDecodes));
        assertEquals(List.of("h4"), ids(p.cpuQueue));
        assertEquals(512 - 4, p.tokensLeft, "each swapped-in request decodes, one token each");

        SchedulerSnapshot budget = snapshot(20, 400, 64, 2);
        budget.addDecoding(spec("g", 111, 8), Location.GPU, 1, 0);
        for (String id : List.of("h1", "h2")) budget.addDecoding(spec(id, 63, 8), Location.HOST, 1, 0);
        Placement q = place(budget);
        assertEquals(List.of("h1"), ids(q.swapIn), "one token left after g's decode");
        assertEquals(0, q.tokensLeft);
    }

    @Test
    void promptsTakeTheGpuExactlyToItsLastBlockThenTheHostUpToItsReserveAndTheStagingArea() {
        SchedulerSnapshot gpu = snapshot(10, 400, 64, 512);
        gpu.addWaiting(spec("w", 160, 4));                           // 10 blocks of a 10-block pool
        assertEquals(List.of("w:160"), chunks(gpuPrefills(place(gpu))));

        // 4 GPU blocks full; host 20 - 4 = 16 blocks for host requests; staging = 4 blocks = 64 tokens per step
        SchedulerSnapshot reserve = snapshot(4, 20, 64, 512);
        reserve.addDecoding(spec("g", 63, 8), Location.GPU, 1, 0);
        for (String id : List.of("h1", "h2", "h3")) reserve.addDecoding(spec(id, 63, 8), Location.HOST, 1, 0);  // 12 blocks
        reserve.addWaiting(spec("w", 64, 4));                          // 12 + 4 = 16: exactly the reserve, 64 = the staging room
        Placement p = place(reserve);
        assertEquals(List.of("w:64"), chunks(cpuPrefills(p)));
        assertEquals(512 - 1 - 64, p.tokensLeft);

        SchedulerSnapshot beyond = snapshot(4, 20, 64, 512);
        beyond.addDecoding(spec("g", 63, 8), Location.GPU, 1, 0);
        for (String id : List.of("h1", "h2", "h3")) beyond.addDecoding(spec(id, 63, 8), Location.HOST, 1, 0);
        beyond.addDecoding(spec("h4", 15, 8), Location.HOST, 1, 0);  // 13 blocks
        beyond.addWaiting(spec("w", 64, 4));                          // 17 > 16
        assertEquals(List.of(), cpuPrefills(place(beyond)));

        SchedulerSnapshot staging = snapshot(4, 400, 64, 512);
        staging.addDecoding(spec("g", 63, 8), Location.GPU, 1, 0);
        for (String id : List.of("w1", "w2", "w3")) staging.addWaiting(spec(id, 32, 4));
        staging.addWaiting(spec("w4", 1, 4));
        assertEquals(List.of("w1:32", "w2:32"), chunks(cpuPrefills(place(staging))), "two 2-block prompts fill the 4 staging blocks");
    }

    @Test
    void aPromptNoIterationTakesWholeIsPrefilledInChunksOnlyAtTheHeadOfTheStep() {
        SchedulerSnapshot alone = snapshot(40, 400, 64, 64);
        alone.addDecoding(spec("d", 31, 8), Location.GPU, 1, 0);
        alone.addWaiting(spec("long", 100, 4));
        Placement p = place(alone);
        assertEquals(List.of("long:63"), chunks(gpuPrefills(p)), "what the 64-token budget leaves after the decode");
        assertEquals(0, p.tokensLeft);

        SchedulerSnapshot behind = snapshot(40, 400, 64, 64);
        behind.addWaiting(spec("short", 10, 4));
        behind.addWaiting(spec("long", 100, 4));
        assertEquals(List.of("short:10"), chunks(gpuPrefills(place(behind))), "not behind another prefill in the same step");

        // host-bound: 7 blocks exceed both the 4-block GPU pool and the 4-block staging area
        SchedulerSnapshot host = snapshot(4, 400, 64, 512);
        host.addDecoding(spec("g", 63, 8), Location.GPU, 1, 0);
        host.addWaiting(spec("long", 100, 4));
        assertEquals(List.of("long:64"), chunks(cpuPrefills(place(host))), "one staging area's worth");

        SchedulerSnapshot whole = snapshot(4, 400, 64, 512);
        whole.addDecoding(spec("g", 63, 8), Location.GPU, 1, 0);
        whole.addWaiting(spec("w", 64, 4));
        whole.addWaiting(spec("long", 100, 4));
        assertEquals(List.of("w:64"), chunks(cpuPrefills(place(whole))), "a prompt of exactly the staging area is taken whole");
    }
}
