package org.apexbench.engine.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/** Output token ids read back one at a time (the real executor's re-prefill and decode inputs). */
class TrackedRequestOutputIdTest {
    private static final RequestSpec SPEC = new RequestSpec("r", 0, new int[] {5, 6}, 3, SamplingParams.GREEDY);

    @Test
    void outputIdReturnsEachGeneratedToken() {
        TrackedRequest r = new TrackedRequest(SPEC, 0, true);
        r.recordToken(0.1, 42, 0);
        r.recordToken(0.2, 43, 1);
        assertEquals(42, r.outputId(0));
        assertEquals(43, r.outputId(1));
        var e = assertThrows(IndexOutOfBoundsException.class, () -> r.outputId(2));
        assertTrue(e.getMessage().contains("output token 2 of 2"), e.getMessage());
    }

    @Test
    void outputIdWithoutKeptIdsSaysSo() {
        TrackedRequest r = new TrackedRequest(SPEC, 0, false);
        r.recordToken(0.1, 42, 0);
        var e = assertThrows(IllegalStateException.class, () -> r.outputId(0));
        assertTrue(e.getMessage().contains("token ids are not kept"), e.getMessage());
    }
}
