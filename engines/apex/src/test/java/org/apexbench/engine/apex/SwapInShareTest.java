package org.apexbench.engine.apex;

import static org.apexbench.engine.apex.ApexPlanTest.chunks;
import static org.apexbench.engine.apex.ApexPlanTest.ids;
import static org.apexbench.engine.apex.ApexPlanTest.snapshot;
import static org.apexbench.engine.apex.ApexPlanTest.spec;
import static org.apexbench.engine.apex.HostAdmissionSloTest.NO_SLO;
import static org.apexbench.engine.apex.HostAdmissionSloTest.SLOW_CPU;
import static org.apexbench.engine.apex.HostAdmissionSloTest.tpot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.runtime.SchedulerSnapshot;

/**
 * Who gets GPU memory that frees up ({@link SwapInShare}; docs/engines.md#apex): a 100-block GPU pool whose four
 * decoders hold 92 blocks after this step, a host decoder h that needs 5 to swap back (97: over the 95% hysteresis,
 * under the admission's 99) and, maybe, w waiting for 4. The hysteresis keeps h on the host and the queue's w takes
 * the room, unless, with a TPOT objective, h is predicted to miss it on the host: then h takes the room and w, which
 * no longer fits, waits or goes to the host.
 */
class SwapInShareTest {
    static SchedulerSnapshot state(boolean queued) {
        SchedulerSnapshot s = snapshot(100, 400, 512, SLOW_CPU);
        for (int i = 0; i < 4; i++) s.addDecoding(spec("g" + i, 367, 200), Location.GPU, 1, 0);   // 368 tokens: 23 blocks each
        s.addDecoding(spec("h", 79, 201), Location.HOST, 1, 0);                                      // 80 tokens: 5 blocks
        if (queued) s.addWaiting(spec("w", 60, 200));
        return s;
    }

    @Test
    void aHostRequestPredictedToMissOnTheHostGoesBeforeTheQueueForTheRoomTheAdmissionWouldTake() {
        ApexScheduler blind = new ApexScheduler(NO_SLO);
        blind.plan(state(true).context(1, 0));
        IterationPlan b = blind.plan(state(true).context(2, 0.1));
        assertEquals(List.of(), ids(b.swapIn()), "97 of 100 blocks is over the 95% hysteresis");
        assertEquals(List.of("w:60"), chunks(b), "the queue takes the room under the 1% watermark");

        ApexScheduler apex = new ApexScheduler(tpot(10.0));
        IterationPlan first = apex.plan(state(true).context(1, 0));
        assertEquals(List.of(), ids(first.swapIn()), "no host pace seen yet: no prediction, the hysteresis stands");
        assertEquals(List.of(), first.cpuDecodes().stream().filter(r -> r.id().equals("h")).toList(),
                "this slow CPU row does not run: h progresses at no pace on the host");
        IterationPlan slo = apex.plan(state(true).context(2, 0.1));
        assertEquals(List.of("h"), ids(slo.swapIn()), "h would miss on the host: it takes the room the queue would");
        assertEquals(List.of(), chunks(slo).stream().filter(c -> !c.endsWith("@host")).toList(), "w no longer fits the GPU");
    }

    @Test
    void withNoQueueTheHysteresisStands() {
        ApexScheduler apex = new ApexScheduler(tpot(10.0));
        apex.plan(state(false).context(1, 0));
        assertEquals(List.of(), ids(apex.plan(state(false).context(2, 0.1)).swapIn()),
                "nothing would take the room: h swaps in under 95% only");
    }

    /**
     * The prediction: h (first token at 0, 200 tokens left, deadline S x 200) progresses at a quarter of a token per
     * 0.1 s iteration, 0.4 s a token, so its last token comes at now + 80 s: it misses S just under 0.4 s (now 0).
     */
    @Test
    void aHostRequestMissesWhenItsRemainingTokensAtTheRecentHostPaceEndAfterItsDeadline() {
        SwapInShare share = new SwapInShare();
        RequestState h = state(false).context(1, 0).hostRunning().getFirst();
        assertFalse(share.missesOnHost(h, 0, 0.1), "before any host row was seen there is no pace to predict with");
        share.observe(4, 1, 0.1);
        assertFalse(share.missesOnHost(h, 0, 0.4), "exactly on time");
        assertTrue(share.missesOnHost(h, 0, 0.4 * (1 - 1e-9)));
        assertTrue(share.missesOnHost(h, 1e-6, 0.4), "later, the same pace misses");
        share.observe(0, 0, 0.1);
        assertFalse(share.missesOnHost(h, 0, 0.4), "an iteration without host requests says nothing about their pace");
    }
}
