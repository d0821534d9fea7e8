package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.Resource;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.profiler.table.MeasuredRuntime;
import org.apexbench.profiler.table.Profile;
import org.apexbench.profiler.table.ProfileFingerprint;
import org.apexbench.profiler.table.ProfileTable;
import org.apexbench.profiler.table.Table1D;
import org.apexbench.profiler.table.Table2D;
import org.junit.jupiter.api.Test;

/** The in-run ratios a calibration run's device subtasks give, on hand-made records. */
class IterationCalibrationTest {
    private static Profile profile() {
        Map<String, ProfileTable> t = new HashMap<>();
        for (String name : Profile.TABLE_NAMES) {
            if (name.equals(Profile.GPU_DECODE_ATTN) || name.equals(Profile.CPU_DECODE_ATTN)) {
                t.put(name, new Table2D("requests x contextTokens", new double[] {1, 2}, new double[] {16, 32}, new double[][] {{1e-3, 2e-3}, {2e-3, 4e-3}}));
            } else {
                t.put(name, new Table1D("width", new double[] {1, 17}, new double[] {1e-3, 17e-3}));   // 1 ms a row
            }
        }
        var f = new ProfileFingerprint("vm", "cpu", "n/a", "amd64 x2", 1, new ModelGeometry("cal", 2, 100, 1, 1, 1, 100, 1, 4096, false, 1, 5),
                "bf16", "f16", 16, "cpu");
        return new Profile(f, t, 0, "hand-made");
    }

    private static SubtaskRecord record(Op op, int rows, long context, double ms) {
        return new SubtaskRecord(0, 0, 0, op, Resource.GPU, rows, context, 0, 1.0, 1.0 + ms / 1e3, Double.NaN);
    }

    /**
     * Each device subtask's time over its table's for the same shape: POST of 4 rows in 8 ms and of 2 rows in 2 ms (table
     * 4 and 2 ms: ratios 2 and 1), GPU decode attention of 2 rows over 32 tokens in 2 and 3 ms (table 4 ms: 0.5, 0.75);
     * host work, copies and empty subtasks give none, and a table with fewer than two subtasks in the run (LM head: one)
     * gets no ratios (scale 1).
     */
    @Test
    void eachDeviceSubtaskGivesItsTimeOverItsTables() {
        List<SubtaskRecord> run = List.of(record(Op.POST, 4, 0, 8), record(Op.POST, 2, 0, 2), record(Op.GPU_DECODE_ATTN, 2, 32, 2),
                record(Op.GPU_DECODE_ATTN, 2, 32, 3), record(Op.LM_HEAD, 2, 0, 9), record(Op.CPU_DECODE_ATTN, 2, 32, 40), record(Op.QKV_D2H, 2, 0, 5), record(Op.PRE, 0, 0, 3));
        Profile p = IterationCalibration.withInRunRatios(profile(), run);
        assertArrayEquals(new double[] {2, 1}, ((Table1D) p.table(MeasuredRuntime.inRunTable(Profile.POST))).seconds(), 1e-9);
        assertFalse(p.tables().containsKey(MeasuredRuntime.inRunTable(Profile.LM_HEAD)));
        assertArrayEquals(new double[] {0.5, 0.75}, ((Table1D) p.table(MeasuredRuntime.inRunTable(Profile.GPU_DECODE_ATTN))).seconds(), 1e-9);
        assertFalse(p.tables().containsKey(MeasuredRuntime.inRunTable(Profile.PRE)));
        assertEquals(1, MeasuredRuntime.inRunScale(p, Profile.PRE), 0);
        assertEquals(1.5, MeasuredRuntime.inRunScale(p, Profile.POST), 1e-9);
    }

    /**
     * Validate's operator speed: gpu-only's warm-up runs on the validated workload, one {@code inRunRatios} each, pooled over
     * every run but the first; the profile keeps at most {@link IterationCalibration#MAX_IN_RUN_SAMPLES} of a table's ratios,
     * and its factor (the median) is the median of every ratio of those runs. Run 1 (POST 10 times its table) is left out;
     * runs 2 and 3 give POST ratios 0.5 + i / 1000 for i below 400 and 0.9 + i / 1000 for i below 301 (701 ratios, no two
     * alike: the median is the 351st, 0.5 + 350 / 1000 = 0.85); LM head only in run 1 gives none.
     */
    @Test
    void theFactorsAreTheMedianOfEveryRatioOfTheWarmUpRunsAfterTheFirst() {
        Profile base = profile();
        List<SubtaskRecord> first = new java.util.ArrayList<>(), second = new java.util.ArrayList<>(), third = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) first.add(record(Op.POST, 2, 0, 20));
        first.add(record(Op.LM_HEAD, 2, 0, 2));
        first.add(record(Op.LM_HEAD, 2, 0, 2));
        for (int i = 0; i < 400; i++) second.add(record(Op.POST, 2, 0, 2 * (0.5 + i / 1000.0)));
        for (int i = 0; i < 301; i++) third.add(record(Op.POST, 1, 0, 0.9 + i / 1000.0));
        third.add(record(Op.CPU_DECODE_ATTN, 2, 32, 40));
        List<Map<String, double[]>> runs = List.of(IterationCalibration.inRunRatios(base, first), IterationCalibration.inRunRatios(base, second),
                IterationCalibration.inRunRatios(base, third));
        Map<String, double[]> pooled = IterationCalibration.pooled(runs);
        assertEquals(java.util.Set.of(Profile.POST), pooled.keySet(), "run 1's LM head left out with run 1, no host table");
        assertEquals(701, pooled.get(Profile.POST).length);
        Profile p = IterationCalibration.withInRunRatios(base, pooled);
        double[] kept = ((Table1D) p.table(MeasuredRuntime.inRunTable(Profile.POST))).seconds();
        assertEquals(IterationCalibration.MAX_IN_RUN_SAMPLES, kept.length);
        assertEquals(0.85, MeasuredRuntime.inRunScale(p, Profile.POST), 1e-12);
        assertEquals(MeasuredRuntime.median(pooled.get(Profile.POST)), MeasuredRuntime.inRunScale(p, Profile.POST), 0);
        assertEquals(0.5, kept[0], 1e-12, "the least ratio kept");
        assertEquals(1.2, kept[kept.length - 1], 1e-12, "the greatest ratio kept");
        assertFalse(p.tables().containsKey(MeasuredRuntime.inRunTable(Profile.LM_HEAD)));
        assertEquals(Map.of(), IterationCalibration.pooled(List.of()), "no warm-up run: nothing, the calibration run's ratios stay");
        assertEquals(50, IterationCalibration.pooled(runs.subList(0, 1)).get(Profile.POST).length, "one run: its own");
    }

    /** The quantiles a profile keeps have the median of all the ratios, an even count of them too; a bad count is refused by name. */
    @Test
    void quantilesKeepTheMedianOfAnEvenCountAndRefuseAnEvenTarget() {
        double[] v = new double[1000];
        for (int i = 0; i < v.length; i++) v[i] = (i * 7919 % 1000) / 100.0;   // 0 .. 9.99, shuffled
        double[] q = IterationCalibration.quantiles(v, 5);
        assertArrayEquals(new double[] {0, 2.4975, MeasuredRuntime.median(v), 7.4925, 9.99}, q, 1e-9);
        assertEquals(MeasuredRuntime.median(v), MeasuredRuntime.median(q), 0);
        assertArrayEquals(new double[] {3, 1, 2}, IterationCalibration.quantiles(new double[] {3, 1, 2}, 5), 0, "few: kept as they are");
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> IterationCalibration.quantiles(v, 4));
        assertTrue(e.getMessage().contains("odd count"), e.getMessage());
    }

    private static SubtaskRecord at(Op op, int rows, double startMs, double endMs) {
        return new SubtaskRecord(0, 0, 0, op, op.resource(), rows, op == Op.CPU_DECODE_ATTN ? 32 : 0, 0, startMs / 1e3, endMs / 1e3, Double.NaN);
    }

    /**
     * An engine's own operator speed counts only the device subtasks the host computed no attention beside: of POSTs at
     * 0-2, 2-4, 4-6 and 9-10 ms beside CPU attentions at 3-5 and 5.5-8 ms (the first also overlapping two device subtasks),
     * the first and the last are kept; a device subtask that only touches an attention's end (8-9 ms) is kept too; copies
     * and the host's own work are not device subtasks.
     */
    @Test
    void anEnginesOwnSpeedTakesOnlyDeviceSubtasksWithNoHostAttentionBeside() {
        List<SubtaskRecord> run = List.of(at(Op.POST, 2, 0, 2), at(Op.POST, 2, 2, 4), at(Op.CPU_DECODE_ATTN, 2, 3, 5),
                at(Op.POST, 2, 4, 6), at(Op.CPU_DECODE_ATTN, 2, 5.5, 8), at(Op.PRE, 2, 8, 9), at(Op.QKV_D2H, 2, 8, 9), at(Op.POST, 2, 9, 10));
        IterationCalibration.DeviceSubtasks d = IterationCalibration.deviceAlone(run);
        assertEquals(List.of(run.get(0), run.get(5), run.get(7)), d.alone());
        assertEquals(2, d.besideHost());
        assertEquals(5, IterationCalibration.deviceAlone(run.stream().filter(r -> r.op() != Op.CPU_DECODE_ATTN).toList()).alone().size(),
                "no host attention: every device subtask");
    }

    /**
     * An engine's own in-run ratios are kept beside the default's and read only by that engine's simulation at its own
     * speed ({@link MeasuredRuntime#forEngine}); a table the engine's runs gave fewer than two of keeps the default's.
     */
    @Test
    void anEnginesOwnRatiosReplaceTheDefaultsOnlyForThatEngine() {
        Profile p = MeasuredRuntime.withInRunRatios(profile(), Profile.POST, new double[] {0.6, 0.7, 0.8});
        p = IterationCalibration.withOwnInRunRatios(p, Map.of("apex", Map.of(Profile.POST, new double[] {0.9, 1.1}, Profile.PRE, new double[] {2})));
        assertEquals(0.7, MeasuredRuntime.inRunScale(p, Profile.POST), 1e-12, "the default's");
        assertEquals(1.0, MeasuredRuntime.inRunScale(MeasuredRuntime.forEngine(p, "apex"), Profile.POST), 1e-12, "apex's own");
        assertEquals(1, MeasuredRuntime.inRunScale(MeasuredRuntime.forEngine(p, "apex"), Profile.PRE), 0, "one PRE ratio: none kept");
        assertEquals(0.7, MeasuredRuntime.inRunScale(MeasuredRuntime.forEngine(p, "gpu-only"), Profile.POST), 1e-12, "another engine");
        assertTrue(MeasuredRuntime.ownInRunRatios(p, "apex"));
        assertFalse(MeasuredRuntime.ownInRunRatios(p, "gpu-only"));
    }

    /**
     * Per-width ratios from pooled runs: PRE at width 1 (40 subtasks at 0.7 of the table) and widths 8 and 9 (20 each at
     * 0.9: one bucket, 8 to 15) keep their own medians; width 4 (10 subtasks at 2: too few for a bucket) and every other
     * width fall back to the median of all 90 (0.9). The widths travel through {@link IterationCalibration#pooled} beside
     * the ratios (runs after the first), in the same order.
     */
    @Test
    void eachWidthBucketWithEnoughSubtasksKeepsItsOwnRatio() {
        Profile base = profile();
        List<SubtaskRecord> first = new java.util.ArrayList<>(), second = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) first.add(record(Op.PRE, 1, 0, 5));   // left out with run 1
        for (int i = 0; i < 40; i++) second.add(record(Op.PRE, 1, 0, 0.7));
        for (int i = 0; i < 20; i++) second.add(record(Op.PRE, 8, 0, 8 * 0.9));
        for (int i = 0; i < 20; i++) second.add(record(Op.PRE, 9, 0, 9 * 0.9));
        for (int i = 0; i < 10; i++) second.add(record(Op.PRE, 4, 0, 4 * 2.0));
        Map<String, double[]> ratios = IterationCalibration.pooled(List.of(IterationCalibration.inRunRatios(base, first),
                IterationCalibration.inRunRatios(base, second)));
        Map<String, double[]> widths = IterationCalibration.pooled(List.of(IterationCalibration.inRun(base, first).widths(),
                IterationCalibration.inRun(base, second).widths()));
        assertEquals(90, widths.get(Profile.PRE).length);
        Profile p = IterationCalibration.withInRunRatios(base, ratios, widths);
        Table1D byWidth = (Table1D) p.table(MeasuredRuntime.inRunWidthTable(Profile.PRE));
        assertArrayEquals(new double[] {0, 1, 8}, byWidth.x(), 0);
        assertArrayEquals(new double[] {0.9, 0.7, 0.9}, byWidth.seconds(), 1e-9, "x = 0: every width's median");
        assertEquals(0.9, MeasuredRuntime.inRunScale(p, Profile.PRE), 1e-9, "the pooled median");
        assertEquals(0.7, MeasuredRuntime.inRunScale(p, Profile.PRE, 1), 1e-9);
        assertEquals(0.9, MeasuredRuntime.inRunScale(p, Profile.PRE, 15), 1e-9);
        assertEquals(MeasuredRuntime.inRunScale(p, Profile.PRE), MeasuredRuntime.inRunScale(p, Profile.PRE, 4), 0, "too few: the pooled median");
        Profile sim = MeasuredRuntime.inRunTables(p);
        assertEquals(0.7e-3, sim.table(Profile.PRE).at(1), 1e-12, "width 1 at its own 0.7 (the table: 1 ms a row)");
        assertEquals(0.9 * 7e-3, sim.table(Profile.PRE).at(7), 1e-12, "bucket 4 to 7: the fallback");
        assertEquals(0.9 * 9e-3, sim.table(Profile.PRE).at(9), 1e-12);
        assertEquals(1.2e-3, sim.table(Profile.POST).at(1.2), 1e-12, "no POST ratios: as swept");
        assertFalse(IterationCalibration.withInRunRatios(base, ratios).tables().containsKey(MeasuredRuntime.inRunWidthTable(Profile.PRE)),
                "no widths: no per-width ratios");
        assertFalse(MeasuredRuntime.forEngine(IterationCalibration.withOwnInRunRatios(p, Map.of("apex", Map.of(Profile.PRE, new double[] {1, 1}))), "apex")
                .tables().containsKey(MeasuredRuntime.inRunWidthTable(Profile.PRE)), "an engine's own pooled ratios replace the per-width ones");
        double[] many = new double[40];
        java.util.Arrays.fill(many, 1);
        assertEquals(base, MeasuredRuntime.withInRunWidthRatios(base, Profile.GPU_DECODE_ATTN, many, many), "a two-dimensional table: none");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> MeasuredRuntime.withInRunWidthRatios(base, Profile.PRE, new double[] {1, 1}, new double[] {1}));
        assertTrue(e.getMessage().contains("2 ratios but 1 widths"), e.getMessage());
    }
}
