package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.Resource;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.table.HostAttentionSpeed;
import org.apexbench.profiler.table.Profile;
import org.junit.jupiter.api.Test;

/**
 * The host attention's in-run ratios split by what ran beside it, on hand-made records against the hand-made profile of
 * {@link SharedWidthRatiosTest} (CPU attention of 2 requests over 32 context tokens: 4 ms).
 */
class HostAttentionRatiosTest {
    private static SubtaskRecord at(Op op, Resource r, double fromMs, double toMs) {
        return new SubtaskRecord(0, 0, 0, op, r, 2, op == Op.CPU_DECODE_ATTN ? 32 : 0, 0, fromMs / 1e3, toMs / 1e3, Double.NaN);
    }

    private static SubtaskRecord attention(double fromMs, double toMs) { return at(Op.CPU_DECODE_ATTN, Resource.CPU_ATTN, fromMs, toMs); }

    /**
     * Device work (POST, PRE, GPU attention) in [0, 10), [9, 11) and [20, 30) ms: merged [0, 11) and [20, 30). Attentions:
     * [2, 8) covered whole (beside, 6 / 4 = 1.5), [12, 18) not at all (alone, 1.5), [13, 18.5) not at all (alone, 1.375),
     * [24, 34) six tenths (beside, 2.5), [10, 16) a sixth (between: left out), [19.5, 21.5) three quarters (beside, 0.5); a copy on the
     * host's side counts as no device work.
     */
    @Test
    void eachAttentionCountsOnTheSideOfWhatRanBesideIt() {
        List<SubtaskRecord> run = List.of(at(Op.POST, Resource.GPU, 0, 10), at(Op.PRE, Resource.GPU, 9, 11),
                at(Op.GPU_DECODE_ATTN, Resource.GPU, 20, 30), at(Op.QKV_D2H, Resource.PCIE_D2H, 12, 18), attention(2, 8),
                attention(12, 18), attention(13, 18.5), attention(24, 34), attention(10, 16), attention(19.5, 21.5));
        HostAttentionRatios.Split s = HostAttentionRatios.of(SharedWidthRatiosTest.profile(), run);
        assertArrayEquals(new double[] {1.5, 1.375}, s.alone(), 1e-9);
        assertArrayEquals(new double[] {1.5, 2.5, 0.5}, s.beside(), 1e-9);
        assertEquals(1, s.between());
    }

    /**
     * Every engine's runs but its first (the JIT's) pooled; the profile then keeps both sides, whose medians the simulator
     * charges; an engine with one run gives it.
     */
    @Test
    void theWarmUpRunsAfterTheFirstArePooledAndStored() {
        Profile base = SharedWidthRatiosTest.profile();
        var first = HostAttentionRatios.of(base, List.of(attention(0, 40), attention(50, 90)));   // 10 each: left out
        var second = HostAttentionRatios.of(base, List.of(at(Op.POST, Resource.GPU, 0, 10), attention(0, 4), attention(20, 24.8),
                attention(30, 35.2)));
        var pooled = HostAttentionRatios.pooled(List.of(first, second));
        assertArrayEquals(new double[] {1.2, 1.3}, pooled.alone(), 1e-9);
        assertArrayEquals(new double[] {1}, pooled.beside(), 1e-9);
        assertArrayEquals(new double[] {10, 10}, HostAttentionRatios.pooled(List.of(first)).alone(), 1e-9);
        HostAttentionSpeed speed = HostAttentionSpeed.of(HostAttentionSpeed.with(base, pooled.alone(), pooled.beside()));
        assertEquals(1.25, speed.alone(), 1e-9);
        assertTrue(Double.isNaN(speed.beside()), "one subtask beside: not stored");
        assertNull(HostAttentionSpeed.of(base));
    }
}
