package org.apexbench.engine.policy;

import static org.apexbench.engine.policy.PlacementRulesTest.chunks;
import static org.apexbench.engine.policy.PlacementRulesTest.hostDecode;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.StubRequest;
import org.apexbench.engine.policy.PlacementRulesTest.State;

/**
 * NEO's host reserve gates every admission (NEO's scheduler.py, _get_next_batch_new step 4: the CPU queue's blocks
 * plus the candidate's must stay within num_cpu_blocks - num_gpu_blocks before the candidate's pool is chosen), so
 * with the host pool at that limit a prompt that would fit the GPU waits too; APEX's rules gate only host-bound ones.
 */
class NeoReserveGateTest {
    /**
     * GPU pool 10 blocks, empty; NEO's host reserve lets the host decodes and admissions hold hostBlocks - 10 blocks. The
     * host decode h holds 11 blocks after this step (175 + 1 tokens), more than NEO's swap-in hysteresis (round(0.95 x 10)),
     * so it stays on the host; the waiting w needs 3.
     */
    private static State state(int hostBlocks) {
        return new State(10, hostBlocks, 64, 512, List.of(StubRequest.waiting("w", 1, 48, 4)), List.of(),
                List.of(hostDecode("h", 0, 175)));
    }

    @Test
    void neoAdmitsNothingWhenTheCandidateWouldOverflowTheHostReserveEvenWithTheGpuEmpty() {
        // reserve 22 - 10 = 12 blocks: 11 + 3 > 12, though the GPU has all 10 free
        Placement n = PlacementRulesTest.neo(state(22));
        assertEquals(List.of(), n.prefills(), "NEO waits for host requests to finish");
        assertEquals(0, n.gpuHeld());
        assertTrue(PlacementRules.neo(-1, true, PlacementRulesTest.PCIE, PlacementRulesTest.LAYERS).reserveGatesGpuAdmission());

        Placement a = PlacementRulesTest.apex(state(22), 0, true, 0, c -> true);   // hysteresis 0: no swap-in
        assertEquals(List.of("w:48"), chunks(a.gpuAdmitted), "APEX gates only host-bound admissions");
        assertFalse(PlacementRules.apex(0.95, true, PlacementRulesTest.PCIE, PlacementRulesTest.LAYERS).reserveGatesGpuAdmission());
    }

    @Test
    void neoAdmitsToTheGpuWhenTheReserveCouldTakeTheCandidate() {
        // reserve 24 - 10 = 14 blocks: 11 + 3 = 14 fits it, and w goes to the GPU
        Placement n = PlacementRulesTest.neo(state(24));
        assertEquals(List.of("w:48"), chunks(n.gpuAdmitted));
        assertEquals(List.of(), n.hostAdmitted);
        assertEquals(3, n.gpuHeld());
    }
}
