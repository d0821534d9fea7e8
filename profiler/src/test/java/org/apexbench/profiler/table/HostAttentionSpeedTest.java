package org.apexbench.profiler.table;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The host attention's in-run speed as a profile keeps it: stored, read back through JSON, and what a profile without it gives. */
class HostAttentionSpeedTest {
    private static final Profile SWEPT = ProfileBoundsTest.PROFILE;

    @Test
    void aProfileWithoutTheTablesHasNoSpeedAndKeepsItsTables() {
        assertNull(HostAttentionSpeed.of(SWEPT));
        assertSame(SWEPT, HostAttentionSpeed.charged(SWEPT), "nothing measured: the tables as they were");
        assertEquals(SWEPT, HostAttentionSpeed.with(SWEPT, null, new double[] {1.2}), "one subtask is no median: nothing stored");
    }

    /**
     * Alone ratios 1.0, 1.2 and 1.1 (median 1.1), beside 1.3 and 1.5 (1.4): the simulator's CPU attention table is the
     * sweep's times 1.1, and the part of an attention with device work beside it runs 1.4 / 1.1 times slower than that,
     * whatever the contention pair measured; the profile's JSON gives them back unchanged.
     */
    @Test
    void theRatiosRoundTripAndGiveTheTableScaleAndTheBesideFactor() {
        Profile p = HostAttentionSpeed.with(SWEPT, new double[] {1.0, 1.2, 1.1}, new double[] {1.3, 1.5});
        Profile back = Profile.fromJson(p.toJson(), "round trip");
        assertEquals(p, back);
        assertArrayEquals(new double[] {1.0, 1.2, 1.1}, ((Table1D) back.table(HostAttentionSpeed.ALONE)).seconds(), 0);
        HostAttentionSpeed s = HostAttentionSpeed.of(back);
        assertEquals(1.1, s.alone(), 1e-12);
        assertEquals(1.4, s.beside(), 1e-12);
        assertEquals(1.1, s.tableScale(), 1e-12);
        assertEquals(1.4 / 1.1, s.besideFactor(0.87), 1e-12);
        ProfileTable cpu = HostAttentionSpeed.charged(back).table(Profile.CPU_DECODE_ATTN);
        assertEquals(1.1 * SWEPT.table(Profile.CPU_DECODE_ATTN).at(4, 1000), cpu.at(4, 1000), 1e-15);
        assertEquals(SWEPT.table(Profile.POST), HostAttentionSpeed.charged(back).table(Profile.POST), "other tables as swept");
    }

    /** A profile holding one side keeps the earlier model for the other: the table as swept, or the contention pair. */
    @Test
    void aSideNotMeasuredKeepsTheEarlierModel() {
        HostAttentionSpeed beside = HostAttentionSpeed.of(HostAttentionSpeed.with(SWEPT, null, new double[] {1.2, 1.2}));
        assertFalse(beside.aloneMeasured());
        assertEquals(1, beside.tableScale(), 0);
        assertEquals(1.2, beside.besideFactor(0.87), 1e-12);
        HostAttentionSpeed alone = HostAttentionSpeed.of(HostAttentionSpeed.with(SWEPT, new double[] {2, 2}, null));
        assertTrue(alone.aloneMeasured() && !alone.besideMeasured());
        assertEquals(0.87, alone.besideFactor(0.87), 0);
    }

    @Test
    void aRatioAboveTheCellBoundIsStoredAtItAndANonPositiveOneIsRefused() {
        Profile p = HostAttentionSpeed.with(SWEPT, new double[] {1, 9000, 1}, null);
        assertEquals(Profile.MAX_CELL_SEC, ((Table1D) p.table(HostAttentionSpeed.ALONE)).seconds()[1], 0);
        var e = assertThrows(IllegalArgumentException.class, () -> HostAttentionSpeed.with(SWEPT, null, new double[] {1, 0}));
        assertTrue(e.getMessage().contains("ratio 2 of 'runtime.cpuAttnInRun[beside]' must be > 0"), e.getMessage());
        var bad = assertThrows(ProfileException.class, () -> new HostAttentionSpeed(-1, Double.NaN));
        assertTrue(bad.getMessage().contains("alone"), bad.getMessage());
    }
}
