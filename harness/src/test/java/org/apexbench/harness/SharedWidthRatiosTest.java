package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.Resource;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.profiler.table.InRunAtWidth;
import org.apexbench.profiler.table.MeasuredRuntime;
import org.apexbench.profiler.table.Profile;
import org.apexbench.profiler.table.ProfileFingerprint;
import org.apexbench.profiler.table.ProfileTable;
import org.apexbench.profiler.table.Table1D;
import org.apexbench.profiler.table.Table2D;
import org.junit.jupiter.api.Test;

/** The one machine's per-width in-run ratios from every engine's warm-up runs together, on hand-made records. */
class SharedWidthRatiosTest {
    /** Every one-dimensional table 1 ms a row; decode attention tables 1 to 4 ms over 1 to 2 requests and 16 to 32 tokens. */
    static Profile profile() {
        Map<String, ProfileTable> t = new HashMap<>();
        for (String name : Profile.TABLE_NAMES) {
            if (name.equals(Profile.GPU_DECODE_ATTN) || name.equals(Profile.CPU_DECODE_ATTN)) {
                t.put(name, new Table2D("requests x contextTokens", new double[] {1, 2}, new double[] {16, 32}, new double[][] {{1e-3, 2e-3}, {2e-3, 4e-3}}));
            } else {
                t.put(name, new Table1D("width", new double[] {1, 17}, new double[] {1e-3, 17e-3}));
            }
        }
        var f = new ProfileFingerprint("vm", "cpu", "n/a", "amd64 x2", 1, new ModelGeometry("cal", 2, 100, 1, 1, 1, 100, 1, 4096, false, 1, 5),
                "bf16", "f16", 16, "cpu");
        return new Profile(f, t, 0, "hand-made");
    }

    private static List<SubtaskRecord> pre(int count, int width, double ratio) {
        List<SubtaskRecord> out = new ArrayList<>();
        for (int i = 0; i < count; i++) out.add(new SubtaskRecord(0, 0, 0, Op.PRE, Resource.GPU, width, 0, 0, 1, 1 + width * ratio / 1e3, Double.NaN));
        return out;
    }

    private static List<SubtaskRecord> concat(List<SubtaskRecord> a, List<SubtaskRecord> b) {
        List<SubtaskRecord> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }

    /**
     * gpu-only runs PRE at width 1 (ratio 0.64) and 64 (1.0), never between; another engine at widths 4 (0.88, 100
     * subtasks), 7 and 9 (1.0 and 0.95, 40 each) and 1 (0.7, 10). Each engine's first run (all at ratio 5) is left out.
     * From gpu-only's runs alone the buckets 4 and 8 are empty and widths 4 to 9 take the pooled 0.64; from every engine's
     * together width 7 takes its own 1.0 (not bucket 4's 0.88, which width 4's subtasks set), width 9 its 0.95, width 5
     * (no subtask of its own) bucket 4's, width 1 pools both engines' (0.64 over 0.7 by 100 to 10), and a width without a
     * bucket still takes gpu-only's pooled ratio, the profile's {@code inRunOverTable[pre]}.
     */
    @Test
    void everyEnginesWarmUpRunsFillTheBucketsAndGpuOnlysPooledRatioStaysTheFallback() {
        Profile base = profile();
        var gpuOnlyFirst = IterationCalibration.inRun(base, pre(40, 1, 5));
        var gpuOnly = IterationCalibration.inRun(base, concat(pre(100, 1, 0.64), pre(40, 64, 1.0)));
        var neoFirst = IterationCalibration.inRun(base, pre(40, 7, 5));
        var neo = IterationCalibration.inRun(base, concat(concat(concat(pre(40, 7, 1.0), pre(40, 9, 0.95)), pre(10, 1, 0.7)), pre(100, 4, 0.88)));
        Profile calibrated = IterationCalibration.withInRunRatios(base,
                IterationCalibration.pooled(List.of(gpuOnlyFirst.ratios(), gpuOnly.ratios())));
        assertEquals(0.64, MeasuredRuntime.inRunScale(calibrated, Profile.PRE), 1e-9);
        var alone = SharedWidthRatios.pool(List.of(List.of(gpuOnlyFirst.ratios(), gpuOnly.ratios())),
                List.of(List.of(gpuOnlyFirst.widths(), gpuOnly.widths())));
        var shared = SharedWidthRatios.pool(List.of(List.of(gpuOnlyFirst.ratios(), gpuOnly.ratios()), List.of(neoFirst.ratios(), neo.ratios())),
                List.of(List.of(gpuOnlyFirst.widths(), gpuOnly.widths()), List.of(neoFirst.widths(), neo.widths())));
        assertEquals(330, shared.ratios().get(Profile.PRE).length);
        Profile before = SharedWidthRatios.apply(calibrated, alone), after = SharedWidthRatios.apply(calibrated, shared);
        assertArrayEquals(new double[] {0, 1, 64}, ((Table1D) before.table(MeasuredRuntime.inRunWidthTable(Profile.PRE))).x(), 0);
        Table1D byWidth = (Table1D) after.table(MeasuredRuntime.inRunWidthTable(Profile.PRE));
        assertArrayEquals(new double[] {0, 1, 4, 8, 64}, byWidth.x(), 0);
        assertArrayEquals(new double[] {0.64, 0.64, 0.88, 0.95, 1.0}, byWidth.seconds(), 1e-9, "x = 0: gpu-only's pooled, not every engine's");
        Table1D atWidth = (Table1D) after.table(InRunAtWidth.table(Profile.PRE));
        assertArrayEquals(new double[] {0, 1, 4, 7, 9, 64}, atWidth.x(), 0);
        assertArrayEquals(new double[] {0.64, 0.64, 0.88, 1.0, 0.95, 1.0}, atWidth.seconds(), 1e-9, "x = 0: the pooled one, as the buckets'");
        assertEquals(0.88, MeasuredRuntime.inRunScale(after, Profile.PRE, 5), 1e-9, "no subtask of its own: its bucket's");
        assertEquals(0.64, MeasuredRuntime.inRunScale(before, Profile.PRE, 7), 1e-9);
        assertEquals(1.0, MeasuredRuntime.inRunScale(after, Profile.PRE, 7), 1e-9);
        assertEquals(0.95, MeasuredRuntime.inRunScale(after, Profile.PRE, 9), 1e-9);
        assertEquals(0.64, MeasuredRuntime.inRunScale(after, Profile.PRE, 20), 1e-9, "no bucket: gpu-only's pooled");
        assertEquals(0.64, MeasuredRuntime.inRunScale(after, Profile.PRE), 1e-9, "the pooled ratio stays gpu-only's");
        Profile sim = MeasuredRuntime.inRunTables(after);
        for (int w = 1; w <= 17; w++) {
            assertEquals(MeasuredRuntime.inRunScale(after, Profile.PRE, w) * w * 1e-3, sim.table(Profile.PRE).at(w), 1e-12, "width " + w);
        }
        assertEquals(1.0 * 7e-3, sim.table(Profile.PRE).at(7), 1e-12);
        assertFalse(MeasuredRuntime.forEngine(IterationCalibration.withOwnInRunRatios(after, Map.of("apex", Map.of(Profile.PRE, new double[] {1, 1}))),
                "apex").tables().containsKey(InRunAtWidth.table(Profile.PRE)), "an engine's own pooled ratios replace the per-width ones");
        String described = SharedWidthRatios.describe(after);
        assertTrue(described.startsWith(" pre [0: 0.6") && described.contains(" pre@width [0: 0.6"), described);
        assertFalse(SharedWidthRatios.apply(base, shared).tables().containsKey(MeasuredRuntime.inRunWidthTable(Profile.PRE)),
                "no pooled ratio in the profile: nothing to fall back to, no per-width table");
    }

    @Test
    void ratiosAndWidthsOfDifferentShapesAreRefusedNamingTheTable() {
        Map<String, double[]> r = Map.of(Profile.PRE, new double[] {1, 1}), w = Map.of(Profile.PRE, new double[] {1});
        var e = assertThrows(IllegalArgumentException.class, () -> SharedWidthRatios.pool(List.of(List.of(r)), List.of(List.of(w))));
        assertTrue(e.getMessage().contains("'pre': 2 ratios but 1 widths"), e.getMessage());
        var engines = assertThrows(IllegalArgumentException.class, () -> SharedWidthRatios.pool(List.of(List.of(r)), List.of()));
        assertTrue(engines.getMessage().contains("1 engines' ratios but 0 engines' widths"), engines.getMessage());
    }
}
