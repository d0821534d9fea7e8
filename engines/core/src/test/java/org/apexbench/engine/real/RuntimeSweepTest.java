package org.apexbench.engine.real;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.apexbench.profiler.table.Profile;
import org.apexbench.profiler.table.ProfileFingerprint;
import org.apexbench.profiler.table.ProfileTable;
import org.apexbench.profiler.table.Table1D;
import org.apexbench.profiler.table.Table2D;
import org.junit.jupiter.api.Test;

/** How the runtime sweep combines its measured sweeps and sizes its samples, on hand-made numbers. */
class RuntimeSweepTest {
    private static Profile sweep(double post1, double post2, double cpu11, double launch, double[] postX) {
        Map<String, ProfileTable> t = new HashMap<>();
        double[] x = {1, 2};
        for (String name : Profile.TABLE_NAMES) {
            if (name.equals(Profile.GPU_DECODE_ATTN) || name.equals(Profile.CPU_DECODE_ATTN)) {
                double first = name.equals(Profile.CPU_DECODE_ATTN) ? cpu11 : 1;
                t.put(name, new Table2D("requests x contextTokens", x, new double[] {16, 32}, new double[][] {{first, 2}, {3, 4}}));
            } else {
                t.put(name, new Table1D("width", name.equals(Profile.POST) ? postX : x,
                        name.equals(Profile.POST) ? new double[] {post1, post2} : new double[] {1, 2}));
            }
        }
        var f = new ProfileFingerprint("vm", "cpu", "n/a", "amd64 x2", 1, new org.apexbench.profiler.model.ModelGeometry("sweep", 2, 100, 1, 1, 1, 100, 1, 4096, false, 1, 5),
                "bf16", "f16", 16, "cpu");
        return new Profile(f, t, launch, "hand-made");
    }

    /**
     * Each cell is the lower of two sweeps' (the one the JIT or a descheduling did not slow down), tables of one and
     * two dimensions alike, and the launch time too; the runtime samples only the first holds (taken between the two
     * sweeps) are kept; sweeps over different grids are refused naming the table.
     */
    @Test
    void theTablesAreTheCellWiseLowerOfTwoSweeps() {
        Profile a = org.apexbench.profiler.table.MeasuredRuntime.withSamples(sweep(6, 1, 9, 0.5, new double[] {1, 2}),
                new double[] {7, 8}, new double[] {5, 6}, null, null, null, null, null);
        Profile b = sweep(2, 3, 4, 0.25, new double[] {1, 2});
        Profile low = RuntimeSweep.lower(a, b);
        assertArrayEquals(new double[] {5, 6},
                ((Table1D) low.table(org.apexbench.profiler.table.MeasuredRuntime.NOISE_REFERENCE)).seconds());
        assertArrayEquals(new double[] {7, 8}, ((Table1D) low.table(org.apexbench.profiler.table.MeasuredRuntime.JITTER_SAMPLES)).seconds());
        assertArrayEquals(new double[] {2, 1}, ((Table1D) low.table(Profile.POST)).seconds());
        assertEquals(4, ((Table2D) low.table(Profile.CPU_DECODE_ATTN)).seconds()[0][0]);
        assertEquals(2, ((Table2D) low.table(Profile.CPU_DECODE_ATTN)).seconds()[0][1]);
        assertEquals(0.25, low.launchSecPerKernel());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RuntimeSweep.lower(a, sweep(1, 1, 1, 1, new double[] {1, 4})));
        assertTrue(e.getMessage().contains("'post'"), e.getMessage());
    }

    /** A sample spans at least 10 ms: 50 runs of a 0.2 ms subtask, one of a 90 ms one, never zero runs. */
    @Test
    void aSampleSpansAtLeastTenMilliseconds() {
        assertEquals(50, RuntimeSweep.runsPerSample(0.2e-3));
        assertEquals(1, RuntimeSweep.runsPerSample(0.090));
        assertEquals(100_000, RuntimeSweep.runsPerSample(0));
        assertTrue(RuntimeSweep.runsPerSample(0.2e-3) * 0.2e-3 >= RuntimeSweep.MIN_SAMPLE_SEC - 1e-12);
    }
}
