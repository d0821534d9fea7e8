package org.apexbench.engine.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.Executor;
import org.apexbench.engine.runtime.SchedulerSnapshot;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.table.IterationCost;
import org.apexbench.profiler.table.MeasuredRuntime;
import org.apexbench.profiler.table.Profile;
import org.apexbench.profiler.table.ProfileException;
import org.apexbench.profiler.table.ProfileFingerprint;
import org.apexbench.profiler.table.ProfileTable;
import org.apexbench.profiler.table.Table1D;
import org.apexbench.profiler.table.Table2D;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;
import org.junit.jupiter.api.Test;

/**
 * The simulator of a measured machine takes its times from the profile: a hand-made cpu profile whose tables are the
 * oracle test's cost table (SimulatedScheduleOracleTest: PRE 1 ms a row, POST 2, GPU decode attention 1 ms per 100
 * context tokens, CPU 1 per 20, q/k/v down 1 ms a row, output up 1 ms a row, embedding and head 1 ms), plus runtime
 * samples, and iteration times worked out by hand.
 */
class MeasuredSimTest {
    static final double MS = 1e-3;

    private final SchedulerSnapshot snapshot = new SchedulerSnapshot(SimulatedScheduleOracleTest.GEO, SimulatedScheduleOracleTest.B,
            Predictor.of(SimulatedScheduleOracleTest.TABLE));
    private int ids;

    private RequestState decoding(int ctx, Location where) {
        return snapshot.addDecoding(new RequestSpec("r" + ids++, 0, new int[ctx - 1], 10, SamplingParams.GREEDY), where, 1, 0);
    }

    private static Table1D line(String name, double x0, double x1, double s0, double s1) {
        return new Table1D(name, new double[] {x0, x1}, new double[] {s0, s1});
    }

    /** {@code msPerContextToken} ms per context token, whatever the request count. */
    private static Table2D attention(double msPerContextToken) {
        double[] y = {100, 400};
        return new Table2D("requests x contextTokens", new double[] {1, 2}, y,
                new double[][] {{y[0] * msPerContextToken * MS, y[1] * msPerContextToken * MS}, {y[0] * msPerContextToken * MS, y[1] * msPerContextToken * MS}});
    }

    static Profile profile() {
        Map<String, ProfileTable> t = new HashMap<>();
        t.put(Profile.PRE, line("width", 1, 100, 1 * MS, 100 * MS));
        t.put(Profile.POST, line("width", 1, 100, 2 * MS, 200 * MS));
        t.put(Profile.EMBED, line("width", 1, 100, 1 * MS, 1 * MS));
        t.put(Profile.LM_HEAD, line("rows", 1, 100, 1 * MS, 1 * MS));
        t.put(Profile.PREFILL_ATTN, line("prefillPairs", 1, 1000, 0.1 * MS, 100 * MS));
        t.put(Profile.GPU_DECODE_ATTN, attention(1 / 100.0));
        t.put(Profile.CPU_DECODE_ATTN, attention(1 / 20.0));
        t.put(Profile.D2H, line("bytes", 300, 3000, 1 * MS, 10 * MS));
        t.put(Profile.H2D, line("bytes", 100, 1000, 1 * MS, 10 * MS));
        ProfileFingerprint f = new ProfileFingerprint("bench-host", "cpu", "n/a", "amd64 x2", 1, SimulatedScheduleOracleTest.GEO,
                "f16", "f16", 16, "cpu");
        return new Profile(f, t, 0, "hand-made");
    }

    /** {@code p} with its POST table {@code times} slower. */
    private static Profile withPostTable(Profile p, double times) {
        Map<String, ProfileTable> t = new HashMap<>(p.tables());
        t.put(Profile.POST, line("width", 1, 100, 2 * MS * times, 200 * MS * times));
        return new Profile(p.fingerprint(), t, p.launchSecPerKernel(), p.measuredWith());
    }

    private static IterationOutcome run(Profile p, IterationPlan plan, long seed, List<SubtaskRecord> into) {
        try (Executor x = MeasuredSim.executor(p, SimulatedScheduleOracleTest.GEO, SimulatedScheduleOracleTest.B, seed, 0)) {
            return x.execute(plan, List.of(), 0, 0, into == null ? null : into::add);
        }
    }

    private static IterationPlan plan(List<RequestState> gpu, List<RequestState> cpu, Strategy s) {
        return new IterationPlan(List.of(), gpu, cpu, cpu.size(), List.of(), List.of(), List.of(), s, Double.NaN);
    }

    @Test
    void onlyAProfileMeasuredOnARealBackendIsReplayedAsAMeasuredMachine() {
        Profile p = profile();
        assertTrue(MeasuredSim.measured(p));
        ProfileFingerprint f = p.fingerprint();
        ProfileFingerprint swept = new ProfileFingerprint(f.hardware(), f.gpu(), f.driver(), f.cpuModel(), f.threads(), f.model(),
                f.weightDtype(), f.kvDtype(), f.blockSize(), "sim");
        assertFalse(MeasuredSim.measured(new Profile(swept, p.tables(), 0, "swept")));
        assertFalse(MeasuredSim.measured(null), "no profile: the simulated hardware's own sweep");
    }

    @Test
    void contentionFactorsAndNoiseSamplesMustBePositiveAndFinite() {
        var x = new SimulatedExecutor(SimulatedScheduleOracleTest.GEO, SimulatedScheduleOracleTest.B, SimulatedScheduleOracleTest.TABLE, 0, 1, 0);
        x.withContention(1, 1).withMeasuredNoise(new double[] {0.5, 2}).withMeasuredNoise(null);
        for (double[] bad : new double[][] {{0, 1}, {1, 0}, {-1, 1}, {Double.NaN, 1}, {Double.POSITIVE_INFINITY, 1}, {1, Double.POSITIVE_INFINITY}}) {
            var e = assertThrows(IllegalArgumentException.class, () -> x.withContention(bad[0], bad[1]));
            assertTrue(e.getMessage().startsWith("contention factors must be positive and finite"), e.getMessage());
        }
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            var e = assertThrows(IllegalArgumentException.class, () -> x.withMeasuredNoise(new double[] {1, bad}));
            assertEquals("noise factors must be positive and finite, got " + bad, e.getMessage());
        }
        assertEquals("noise factors: none given", assertThrows(IllegalArgumentException.class, () -> x.withMeasuredNoise(new double[0])).getMessage());
    }

    /**
     * Two GPU decodes (contexts 100 and 300) on two layers: embed 1, per layer PRE 2 + attention 4 + POST 4, head 1 =
     * 22 ms of subtasks, after the runtime's per-iteration time, the median of its samples 1, 2 and 9 ms (not their
     * mean, 4: one descheduled iteration of a short calibration run): the iteration ends at 24 ms.
     */
    @Test
    void iterationTimeIsTheProfilesSubtasksPlusTheMeasuredPerIterationTime() {
        Profile p = MeasuredRuntime.withIterationSamples(profile(), new double[] {1 * MS, 9 * MS, 2 * MS});
        IterationPlan plan = plan(List.of(decoding(100, Location.GPU), decoding(300, Location.GPU)), List.of(), Strategy.GPU_ONLY);
        assertEquals(22, 1e3 * run(profile(), plan, 1, null).endSec(), 1e-9, "no runtime samples: the tables alone");
        IterationOutcome out = run(p, plan, 1, null);
        assertEquals(24, 1e3 * out.endSec(), 1e-9);
        assertEquals(22, 1e3 * out.gpuBusySec(), 1e-9, "the per-iteration time is not device work");
    }

    /**
     * One GPU decode (context 100), one CPU decode (context 200), asynchronous overlap, with hand-over round trips of 4
     * and 6 ms (mean 5): each of q/k/v down and output up costs its 1 ms plus half a round trip, 3.5 ms. Per layer: PRE
     * [1,3), q/k/v [3,6.5), CPU attention [6.5,16.5), output [16.5,20), POST (2 rows) [20,24); layer 1 from 24 to 47;
     * head [47,48).
     */
    @Test
    void handOversToTheHostThreadCostHalfTheMeasuredRoundTripEach() {
        Profile p = MeasuredRuntime.withSamples(profile(), null, new double[] {4 * MS, 6 * MS}, null, null, null, null);
        IterationOutcome out = overlapWithCpuAttentionOfLayer0(p, 1, 48, 6.5, 16.5);
        assertEquals(20, 1e3 * out.cpuBusySec(), 1e-9);
    }

    /**
     * Runs one GPU decode (context 100) beside one CPU decode (context 200), asynchronous overlap, and checks that the
     * iteration ends at {@code endMs} with layer 0's CPU attention in [{@code cpuFromMs}, {@code cpuToMs}).
     */
    private IterationOutcome overlapWithCpuAttentionOfLayer0(Profile p, long seed, double endMs, double cpuFromMs, double cpuToMs) {
        List<SubtaskRecord> records = new ArrayList<>();
        IterationOutcome out = run(p, plan(List.of(decoding(100, Location.GPU)), List.of(decoding(200, Location.HOST)),
                Strategy.ASYNC_OVERLAP), seed, records);
        assertEquals(endMs, 1e3 * out.endSec(), 1e-9);
        SubtaskRecord cpu0 = records.stream().filter(r -> r.layer() == 0 && r.op() == org.apexbench.profiler.Op.CPU_DECODE_ATTN)
                .findFirst().orElseThrow();
        assertEquals(cpuFromMs, 1e3 * cpu0.startSec(), 1e-9);
        assertEquals(cpuToMs, 1e3 * cpu0.endSec(), 1e-9);
        return out;
    }

    /**
     * An engine calibrated on its own (its scheduler's cost) gets its own per-iteration time; any other engine, and a
     * label the profile has no table for, gets gpu-only's.
     */
    @Test
    void anEngineCalibratedOnItsOwnGetsItsOwnPerIterationTime() {
        Profile p = MeasuredRuntime.withIterationSamples(MeasuredRuntime.withIterationSamples(profile(), new double[] {2 * MS, 2 * MS}),
                MeasuredRuntime.iterationTable("apex"), new double[] {5 * MS, 7 * MS, 6 * MS});
        assertEquals(6 * MS, MeasuredRuntime.of(p, "apex").iterationSec(), 1e-15);
        assertEquals(2 * MS, MeasuredRuntime.of(p, "gpu-only").iterationSec(), 1e-15);
        assertEquals(2 * MS, MeasuredRuntime.of(p, "static-hybrid:neo").iterationSec(), 1e-15);
        assertEquals(2 * MS, MeasuredRuntime.of(p, null).iterationSec(), 1e-15);
        assertEquals("runtime.iterationSamples[apex]", MeasuredRuntime.iterationTable("apex"));
    }

    /**
     * An engine whose runs measured its runtime time per iteration against the iteration's composition
     * ({@link IterationCost}: 0.5 ms an iteration, 3 ms a CPU row, 1 ms an iteration with CPU rows) is charged that for each
     * iteration's own composition, not the calibration's median (2 ms): two GPU decodes (22 ms of subtasks) end at 22.5 ms,
     * one GPU and one CPU decode 4.5 ms after the same plan without any runtime time; its device work is unchanged. Any
     * other engine keeps the calibration's median.
     */
    @Test
    void anEngineWithAnIterationCostIsChargedItsCompositionsCost() {
        Profile base = MeasuredRuntime.withIterationSamples(profile(), new double[] {2 * MS, 2 * MS});
        Profile p = IterationCost.with(base, "apex", new IterationCost(Map.of(IterationCost.Term.ITERATION, 0.5 * MS,
                IterationCost.Term.CPU_ROW, 3 * MS, IterationCost.Term.CPU_ITERATION, 1 * MS), 1 * MS));
        IterationPlan gpuOnly = plan(List.of(decoding(100, Location.GPU), decoding(300, Location.GPU)), List.of(), Strategy.GPU_ONLY);
        IterationPlan hybrid = plan(List.of(decoding(100, Location.GPU)), List.of(decoding(200, Location.HOST)), Strategy.ASYNC_OVERLAP);
        assertEquals(22.5, 1e3 * run(p, "apex", gpuOnly).endSec(), 1e-9);
        assertEquals(24, 1e3 * run(p, "gpu-only", gpuOnly).endSec(), 1e-9, "another engine: the calibration's median");
        assertEquals(24, 1e3 * run(base, "apex", gpuOnly).endSec(), 1e-9, "a profile without the cost: as before");
        double none = run(profile(), "apex", hybrid).endSec();
        IterationOutcome charged = run(p, "apex", hybrid);
        assertEquals(4.5, 1e3 * (charged.endSec() - none), 1e-9);
        assertEquals(run(profile(), "apex", hybrid).gpuBusySec(), charged.gpuBusySec(), 1e-15, "the runtime's time is not device work");
    }

    private static IterationOutcome run(Profile p, String engine, IterationPlan plan) {
        try (Executor x = MeasuredSim.executor(p, engine, SimulatedScheduleOracleTest.GEO, SimulatedScheduleOracleTest.B, 1, 0)) {
            return x.execute(plan, List.of(), 0, 0, null);
        }
    }

    /**
     * Noise samples of POST at width 16 that all took 64 ms where the POST table says 32: every subtask runs twice its
     * table time (the loaded machine's share of wall time), while the hand-over (round trips 4 and 6 ms, half of 5 per
     * copy) is added after the noise, not doubled. The plan of the hand-over test: embed 2; per layer PRE 4, q/k/v 2 +
     * 2.5, CPU attention 20, output 2 + 2.5, POST 8 = 41; head 2: 86 ms, CPU attention of layer 0 in [10.5, 30.5).
     */
    @Test
    void noiseScalesTheTablesRelativeToThePostTableAndLeavesTheHandOverAlone() {
        double[] slow = new double[5];
        java.util.Arrays.fill(slow, 64 * MS);
        assertEquals(16, MeasuredRuntime.noiseWidth(profile()));
        Profile p = MeasuredRuntime.withSamples(profile(), slow, new double[] {4 * MS, 6 * MS}, null, null, null, null);
        overlapWithCpuAttentionOfLayer0(p, 3, 86, 10.5, 30.5);
    }

    /**
     * A calibration run's operators slower in place than their tables: the simulator's device tables are scaled by the
     * median of each table's in-run ratios (POST 2, 2 and 9: twice; EMBED none measured: as swept), host tables never;
     * the hand-made profile's POST at width 16 is 32 ms, so 64 ms in the simulator's tables.
     */
    @Test
    void deviceTablesAreScaledByTheirSubtasksInRunRatios() {
        Profile p = MeasuredRuntime.withInRunRatios(MeasuredRuntime.withInRunRatios(profile(), Profile.POST, new double[] {2, 9, 2}),
                Profile.GPU_DECODE_ATTN, new double[] {0.5, 0.5});
        assertEquals(2, MeasuredRuntime.inRunScale(p, Profile.POST), 0);
        assertEquals(1, MeasuredRuntime.inRunScale(p, Profile.EMBED), 0);
        Profile sim = MeasuredRuntime.inRunTables(p);
        assertEquals(64 * MS, sim.table(Profile.POST).at(16), 1e-12);
        assertEquals(profile().table(Profile.PRE).at(16), sim.table(Profile.PRE).at(16), 0);
        assertEquals(0.5 * profile().table(Profile.GPU_DECODE_ATTN).at(4, 100), sim.table(Profile.GPU_DECODE_ATTN).at(4, 100), 1e-15);
        assertEquals(profile().table(Profile.CPU_DECODE_ATTN).at(4, 100), sim.table(Profile.CPU_DECODE_ATTN).at(4, 100), 0);
        assertEquals(32 * MS, p.table(Profile.POST).at(16), 1e-12, "the profile itself (what schedulers predict from) is unchanged");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MeasuredRuntime.withInRunRatios(profile(), Profile.CPU_DECODE_ATTN, new double[] {1, 1}));
        assertTrue(e.getMessage().contains(Profile.CPU_DECODE_ATTN), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MeasuredRuntime.withInRunRatios(profile(), Profile.POST, new double[] {1}));
        assertTrue(e.getMessage().contains("at least 2"), e.getMessage());
        Profile outlier = MeasuredRuntime.withInRunRatios(profile(), Profile.EMBED, new double[] {3, 7956, 4});
        assertEquals(4, MeasuredRuntime.inRunScale(outlier, Profile.EMBED), 0, "a descheduled embedding beyond a cell's bound is kept at it");
        // an iteration of two GPU decode rows (22 ms as swept) with POST (4 ms per layer at width 2, 2 layers) twice as long
        Profile postTwice = MeasuredRuntime.withInRunRatios(profile(), Profile.POST, new double[] {2, 2});
        IterationPlan gpuOnly = plan(List.of(decoding(100, Location.GPU), decoding(300, Location.GPU)), List.of(), Strategy.GPU_ONLY);
        assertEquals(22, 1e3 * run(profile(), gpuOnly, 1, null).endSec(), 1e-9);
        assertEquals(30, 1e3 * run(postTwice, gpuOnly, 1, null).endSec(), 1e-9, "the simulator runs the scaled tables");
    }

    /**
     * With a noise reference (single runs of the noise subtask, taken with the tables) the factors are the samples over
     * it, whatever the POST table's cell says: samples of 64 ms over single runs of 32 ms double every subtask (the
     * overlap iteration at 86 ms, as above), samples equal to the single runs leave the tables as they are, even where
     * the POST cell was measured 4 times slower (a sweep caught in a slow state must not scale every other subtask
     * by a quarter). Samples re-taken later (bracketing) come with their own reference.
     */
    @Test
    void noiseIsRelativeToTheNoiseReferenceWhereTheProfileHoldsOne() {
        double[] slow = new double[5], single = new double[5];
        java.util.Arrays.fill(slow, 64 * MS);
        java.util.Arrays.fill(single, 32 * MS);
        Profile p = MeasuredRuntime.withSamples(profile(), slow, single, new double[] {4 * MS, 6 * MS}, null, null, null, null);
        assertArrayEquals(new double[] {2, 2, 2, 2, 2}, MeasuredRuntime.noiseFactors(p), 1e-12);
        overlapWithCpuAttentionOfLayer0(p, 3, 86, 10.5, 30.5);

        Profile slowCell = withPostTable(profile(), 4);
        Profile asTables = MeasuredRuntime.withSamples(slowCell, single, single, null, null, null, null, null);
        assertArrayEquals(new double[] {1, 1, 1, 1, 1}, MeasuredRuntime.noiseFactors(asTables), 1e-12);
        assertArrayEquals(new double[] {0.25, 0.25, 0.25, 0.25, 0.25},
                MeasuredRuntime.noiseFactors(MeasuredRuntime.withSamples(slowCell, single, null, null, null, null, null)), 1e-12,
                "without a reference: the POST cell, as older profiles");

        double[] fast = new double[5];
        java.util.Arrays.fill(fast, 16 * MS);
        Profile bracketed = MeasuredRuntime.withSamples(p, slow, fast, null, null, null, null, null);
        assertArrayEquals(new double[] {4, 4, 4, 4, 4}, MeasuredRuntime.noiseFactors(bracketed), 1e-12);
    }

    /**
     * Where the loaded machine's descheduling lands when both roles run. The single-thread samples say every subtask takes
     * twice its table time (POST at width 16: 64 ms against 32) and a hand-over round trip 5 ms; the two-thread layer's
     * say device work takes its table time (32 ms), the host's CPU attention three times its time alone (30 against 10
     * ms) and the wait beyond it 3 ms (2.5 and 3.5: half of it per copy). The overlap iteration of the hand-over test,
     * two-thread runtime: embed 1; per layer PRE 2, q/k/v 1 + 1.5, CPU attention 30, output 1 + 1.5, POST 4 = 41; head 1:
     * 84 ms, layer 0's CPU attention in [5.5, 35.5). NEO's single-thread runtime (a launch time per stage) keeps the
     * single-thread samples: 86 ms, as in the noise test; so does an iteration without CPU rows: 44 ms, twice its 22.
     */
    @Test
    void anIterationRunningBothRolesTakesTheTwoThreadLayersNoiseAndWait() {
        Profile p = twoThreadProfile();
        assertEquals(3 * MS, MeasuredRuntime.of(p).twoThreadWaitSec(), 1e-15);
        assertArrayEquals(new double[] {1, 1, 1, 1, 1}, MeasuredRuntime.twoThreadNoiseFactors(p), 1e-12);
        assertArrayEquals(new double[] {3, 3, 3, 3, 3}, MeasuredRuntime.twoThreadHostNoiseFactors(p), 1e-12);
        IterationOutcome out = overlapWithCpuAttentionOfLayer0(p, 3, 84, 5.5, 35.5);
        assertEquals(60, 1e3 * out.cpuBusySec(), 1e-9);
        IterationPlan overlap = plan(List.of(decoding(100, Location.GPU)), List.of(decoding(200, Location.HOST)), Strategy.ASYNC_OVERLAP);
        try (Executor neo = MeasuredSim.executor(p, SimulatedScheduleOracleTest.GEO, SimulatedScheduleOracleTest.B, 3, 1 * MS)) {
            assertEquals(86, 1e3 * neo.execute(overlap, List.of(), 0, 0, null).endSec(), 1e-9, "single-thread runtime");
        }
        IterationPlan gpuOnly = plan(List.of(decoding(100, Location.GPU), decoding(300, Location.GPU)), List.of(), Strategy.GPU_ONLY);
        assertEquals(44, 1e3 * run(p, gpuOnly, 1, null).endSec(), 1e-9, "no CPU rows: the device role alone");
        assertNull(MeasuredRuntime.twoThreadNoiseFactors(profile()), "not measured: no two-thread model");
        assertNull(MeasuredRuntime.twoThreadHostNoiseFactors(profile()));
        assertEquals(0, MeasuredRuntime.of(profile()).twoThreadWaitSec());
    }

    /**
     * The two-thread layer's noise over references taken inside its own samples. The layer's samples as in the test above
     * (device work 32 ms, the host's attention 30 ms), now with each sample's median single layer: device work 16 ms, the
     * host's attention 30 ms. The factors are then 2 (device) and 1 (host): what the load added to the layer's own single
     * runs, not how the layer compares with POST of the single-thread samples (the table's 32 ms) and with the attention
     * alone measured before (10 ms), which gave 1 and 3. The overlap iteration: embed 2; per layer PRE 4, q/k/v 2 + 1.5, CPU
     * attention 10, output 2 + 1.5, POST 8 = 29; head 2: 62 ms, layer 0's CPU attention in [9.5, 19.5).
     */
    @Test
    void theTwoThreadLayersNoiseIsOverItsOwnSinglelayersNotAnotherMoments() {
        double[] deviceReference = new double[5], hostReference = new double[5];
        java.util.Arrays.fill(deviceReference, 16 * MS);
        java.util.Arrays.fill(hostReference, 30 * MS);
        Profile old = twoThreadProfile();
        var t = old.tables();
        Profile p = MeasuredRuntime.withTwoThreadSamples(old, ((Table1D) t.get(MeasuredRuntime.TWO_THREAD_DEVICE)).seconds(),
                ((Table1D) t.get(MeasuredRuntime.TWO_THREAD_HOST)).seconds(), ((Table1D) t.get(MeasuredRuntime.TWO_THREAD_WAIT)).seconds(),
                ((Table1D) t.get(MeasuredRuntime.TWO_THREAD_HOST_ALONE)).seconds(), deviceReference, hostReference);
        assertArrayEquals(new double[] {2, 2, 2, 2, 2}, MeasuredRuntime.twoThreadNoiseFactors(p), 1e-12);
        assertArrayEquals(new double[] {1, 1, 1, 1, 1}, MeasuredRuntime.twoThreadHostNoiseFactors(p), 1e-12);
        overlapWithCpuAttentionOfLayer0(p, 3, 62, 9.5, 19.5);
        overlapWithCpuAttentionOfLayer0(old, 3, 84, 5.5, 35.5);
    }

    /**
     * The samples of the test above: single-thread POST at width 16 in 64 ms (twice its table) and a round trip of 4 and 6
     * ms; in the two-thread layer device work at its table time, the host's CPU attention 30 ms against 10 alone, the wait
     * beyond it 2.5 and 3.5 ms.
     */
    private static Profile twoThreadProfile() {
        double[] slow = new double[5], device = new double[5], host = new double[5], alone = new double[5];
        java.util.Arrays.fill(slow, 64 * MS);
        java.util.Arrays.fill(device, 32 * MS);
        java.util.Arrays.fill(host, 30 * MS);
        java.util.Arrays.fill(alone, 10 * MS);
        return MeasuredRuntime.withTwoThreadSamples(MeasuredRuntime.withSamples(profile(), slow, new double[] {4 * MS, 6 * MS}, null,
                null, null, null), device, host, new double[] {2.5 * MS, 3.5 * MS}, alone);
    }

    /**
     * The overlapped layer's hand-over where the device works beside the host's attention. The two-thread layer as in the
     * test above (device work at its table time, the host's attention three times its own, a serial wait of 3 ms), and the
     * overlapped layer's samples: the host thread starts a published job 4 ms later (3 and 5), the device resumes 1 ms
     * after its output (0.5 and 1.5). The overlap iteration then pays 4 ms before its q/k/v copy and 1 ms after its output
     * copy instead of 1.5 and 1.5: per layer PRE 2, q/k/v 1 + 4, CPU attention 30, output 1 + 1, POST 4 = 43; with embed
     * and head 88 ms, layer 0's CPU attention in [8, 38). An OFFLOAD_SERIAL iteration keeps the serial layer's wait, and a
     * profile without the overlapped samples the model before.
     */
    @Test
    void anOverlappedIterationPaysTheOverlappedLayersPickupAndReturn() {
        Profile serial = twoThreadProfile();
        Profile p = MeasuredRuntime.withOverlapSamples(serial, new double[] {3 * MS, 5 * MS}, new double[] {0.5 * MS, 1.5 * MS});
        assertTrue(MeasuredRuntime.overlapMeasured(p));
        assertEquals(4 * MS, MeasuredRuntime.of(p).overlapPickupSec(), 1e-15);
        assertEquals(1 * MS, MeasuredRuntime.of(p, "apex").overlapReturnSec(), 1e-15);
        overlapWithCpuAttentionOfLayer0(p, 3, 88, 8, 38);
        overlapWithCpuAttentionOfLayer0(serial, 3, 84, 5.5, 35.5);
        IterationPlan offload = plan(List.of(decoding(100, Location.GPU)), List.of(decoding(200, Location.HOST)), Strategy.OFFLOAD_SERIAL);
        assertEquals(run(serial, offload, 3, null).endSec(), run(p, offload, 3, null).endSec(), 0, "a serial layer keeps the serial wait");
        assertFalse(MeasuredRuntime.overlapMeasured(serial));
        assertEquals(0, MeasuredRuntime.of(serial).overlapPickupSec());
    }

    /**
     * The LM head as the real executor samples: once per sub-batch. A pipelined iteration of one GPU decode and two CPU
     * decodes split one per sub-batch (sub-batch 0: the GPU decode and one CPU decode, sub-batch 1: the other) runs the
     * hand-made head (1 ms at any width) twice: 2 ms, and the iteration ends 1 ms later than with one head over the three
     * sampled rows, which the hardware spec's simulator keeps. An asynchronous-overlap iteration has one sub-batch: one head.
     */
    @Test
    void theLmHeadRunsOncePerSubBatchAsTheRealExecutorSamples() {
        List<RequestState> cpu = List.of(decoding(200, Location.HOST), decoding(300, Location.HOST));
        IterationPlan pipelined = new IterationPlan(List.of(), List.of(decoding(100, Location.GPU)), cpu, 1, List.of(), List.of(),
                List.of(), Strategy.SYMMETRIC_PIPELINE, Double.NaN);
        List<SubtaskRecord> records = new ArrayList<>();
        IterationOutcome measured = run(profile(), pipelined, 1, records);
        SubtaskRecord head = records.stream().filter(r -> r.op() == org.apexbench.profiler.Op.LM_HEAD).findFirst().orElseThrow();
        assertEquals(2, 1e3 * (head.endSec() - head.startSec()), 1e-9);
        assertEquals(3, head.rows());
        assertEquals(measured.endSec(), head.endSec(), 0, "the head is the iteration's last subtask");
        try (Executor spec = new SimulatedExecutor(SimulatedScheduleOracleTest.GEO, SimulatedScheduleOracleTest.B,
                new org.apexbench.profiler.cost.TableCostModel(profile()), 0, 1, 0)) {
            IterationOutcome once = spec.execute(pipelined, List.of(), 0, 0, null);
            assertEquals(1, 1e3 * (measured.endSec() - once.endSec()), 1e-9);
            assertEquals(1, 1e3 * (measured.gpuBusySec() - once.gpuBusySec()), 1e-9);
        }
        records.clear();
        run(profile(), plan(List.of(decoding(100, Location.GPU)), cpu, Strategy.ASYNC_OVERLAP), 1, records);
        SubtaskRecord single = records.stream().filter(r -> r.op() == org.apexbench.profiler.Op.LM_HEAD).findFirst().orElseThrow();
        assertEquals(1, 1e3 * (single.endSec() - single.startSec()), 1e-9);
    }

    /** Jitter samples give a log-normal sigma; the same seed draws the same times, another seed others. */
    @Test
    void measuredJitterIsDrawnFromTheSeed() {
        double[] samples = {0.9 * MS, 1 * MS, 1.1 * MS, 1.2 * MS, 0.8 * MS};
        Profile p = MeasuredRuntime.withSamples(profile(), samples, null, null, null, null, null);
        assertTrue(MeasuredRuntime.of(p).jitterSigma() > 0.05, "sigma " + MeasuredRuntime.of(p).jitterSigma());
        IterationPlan plan = plan(List.of(decoding(100, Location.GPU)), List.of(), Strategy.GPU_ONLY);
        double a = run(p, plan, 7, null).endSec(), b = run(p, plan, 7, null).endSec(), c = run(p, plan, 8, null).endSec();
        assertEquals(a, b, 0);
        assertNotEquals(a, c);
    }

    @Test
    void aProfileForAnotherModelOrSettingsIsRefusedNamingTheField() {
        Profile p = profile();
        ProfileFingerprint f = p.fingerprint();
        var other = new ProfileFingerprint("elsewhere", "cpu", "n/a", "arm64 x8", 1, f.model(), "f16", "bf16", 16, "cpu");
        ProfileException e = assertThrows(ProfileException.class, () -> MeasuredSim.check(p, other, "p.json"));
        assertTrue(e.getMessage().contains("kvDtype: 'f16' (profile) vs 'bf16'"), e.getMessage());
        assertTrue(!e.getMessage().contains("hardware") && !e.getMessage().contains("cpuModel"),
                "the machine is the profile's own: " + e.getMessage());
        var threads = new ProfileFingerprint("x", "cpu", "n/a", "y", 4, f.model(), "f16", "f16", 16, "cpu");
        assertTrue(assertThrows(ProfileException.class, () -> MeasuredSim.check(p, threads, "p.json")).getMessage()
                .contains("threads: '1' (profile) vs '4'"));
        MeasuredSim.check(p, new ProfileFingerprint("x", "cpu", "n/a", "y", 1, f.model(), "f16", "f16", 16, "cpu"), "p.json");
    }

    /**
     * Per-width in-run ratios: PRE 0.7 at width 1 and 0.9 at widths 8 to 15 (40 subtasks each), 0.5 pooled (the median of
     * every PRE subtask, which buckets without enough subtasks fall back to). The simulator's PRE table charges each whole
     * width its own bucket's ratio (the hand-made PRE: 1 ms a row, grid 1 and 100), and an iteration of two decoding
     * requests (width 2: no bucket of its own) runs exactly as one whose profile holds only the pooled ratio.
     */
    @Test
    void eachWidthIsChargedItsOwnBucketsInRunRatio() {
        double[] ratios = new double[100], widths = new double[100];
        for (int i = 0; i < 100; i++) {
            ratios[i] = i < 40 ? 0.7 : i < 80 ? 0.9 : 0.1;
            widths[i] = i < 40 ? 1 : i < 60 ? 8 : i < 80 ? 15 : 2;
        }
        Profile pooled = MeasuredRuntime.withInRunRatios(profile(), Profile.PRE, new double[] {0.5, 0.5, 0.5});
        Profile perWidth = MeasuredRuntime.withInRunWidthRatios(pooled, Profile.PRE, ratios, widths);
        Profile sim = MeasuredRuntime.inRunTables(perWidth);
        assertEquals(0.7 * MS, sim.table(Profile.PRE).at(1), 1e-15);
        for (int w = 8; w <= 15; w++) assertEquals(0.9 * w * MS, sim.table(Profile.PRE).at(w), 1e-15, "width " + w);
        for (int w : new int[] {2, 3, 7, 16, 100}) assertEquals(0.5 * w * MS, sim.table(Profile.PRE).at(w), 1e-15, "width " + w);
        assertEquals(MeasuredRuntime.inRunTables(pooled).table(Profile.POST), sim.table(Profile.POST), "other tables as they were");
        IterationPlan two = plan(List.of(decoding(100, Location.GPU), decoding(300, Location.GPU)), List.of(), Strategy.GPU_ONLY);
        assertEquals(run(pooled, two, 1, null).endSec(), run(perWidth, two, 1, null).endSec(), 0);
        IterationPlan one = plan(List.of(decoding(100, Location.GPU)), List.of(), Strategy.GPU_ONLY);
        // 3 layers' PRE at width 1: 0.7 ms a layer against 0.5 pooled
        assertEquals(run(pooled, one, 1, null).endSec() + SimulatedScheduleOracleTest.GEO.layers() * 0.2 * MS, run(perWidth, one, 1, null).endSec(), 1e-12);
    }

    /** A profile without per-width ratios (every profile before them) gets exactly the tables it got before: each device table times its pooled median. */
    @Test
    void aProfileWithoutPerWidthRatiosSimulatesAsBefore() {
        Profile p = MeasuredRuntime.withInRunRatios(MeasuredRuntime.withInRunRatios(profile(), Profile.PRE, new double[] {0.6, 0.7, 0.9}),
                Profile.POST, new double[] {1.5, 2});
        Profile sim = MeasuredRuntime.inRunTables(p);
        assertEquals(profile().table(Profile.PRE).scaled(0.7), sim.table(Profile.PRE));
        assertEquals(profile().table(Profile.POST).scaled(1.75), sim.table(Profile.POST));
        assertEquals(profile().table(Profile.EMBED), sim.table(Profile.EMBED));
        assertEquals(MeasuredRuntime.inRunScale(p, Profile.PRE), MeasuredRuntime.inRunScale(p, Profile.PRE, 1), 0);
    }

    /**
     * The host attention's in-run speed (run 18): a CPU attention with no device work beside it runs at the alone ratio (2:
     * 20 ms for the hand-made 10 ms of one decode over 200 tokens), in a serial layer with only CPU rows, each of the 3
     * layers; without the tables (every profile before them) at its table time, as before.
     */
    @Test
    void aHostAttentionWithNoDeviceWorkBesideRunsAtItsAloneRatio() {
        Profile p = org.apexbench.profiler.table.HostAttentionSpeed.with(profile(), new double[] {2, 2, 2}, new double[] {5, 5});
        IterationPlan serial = plan(List.of(), List.of(decoding(200, Location.HOST)), Strategy.OFFLOAD_SERIAL);
        List<SubtaskRecord> before = new ArrayList<>(), after = new ArrayList<>();
        double end0 = run(profile(), serial, 1, before).endSec(), end1 = run(p, serial, 1, after).endSec();
        for (List<SubtaskRecord> records : List.of(before, after)) {
            List<SubtaskRecord> cpu = records.stream().filter(r -> r.op() == org.apexbench.profiler.Op.CPU_DECODE_ATTN).toList();
            assertEquals(SimulatedScheduleOracleTest.GEO.layers(), cpu.size());
            for (SubtaskRecord r : cpu) assertEquals(records == before ? 10 : 20, 1e3 * r.durationSec(), 1e-9, "nothing beside it: " + r);
        }
        assertEquals(end0 + SimulatedScheduleOracleTest.GEO.layers() * 10 * MS, end1, 1e-12);
    }

    /**
     * Beside device work the attention runs at the beside ratio, in place of the contention pair's CPU side: a pipelined
     * iteration (one GPU decode and two CPU decodes in two sub-batches, each CPU attention beside the other sub-batch's device
     * work) from a profile with alone 2 and beside 3 and a
     * contention pair of 0.5 (CPU attention) and 1 (device) runs exactly as one whose CPU table is twice the sweep's and
     * whose contention pair is 3 / 2: the pair's 0.5 is not charged; and it ends later than the same profile without the
     * host attention's speed, which charged the table at the pair's 0.5 beside device work.
     */
    @Test
    void aHostAttentionBesideDeviceWorkRunsAtItsBesideRatioInPlaceOfTheContentionPair() {
        double[] one = {1 * MS, 1 * MS}, half = {0.5 * MS, 0.5 * MS}, threeHalves = {1.5 * MS, 1.5 * MS};
        Profile pair = MeasuredRuntime.withSamples(profile(), null, null, one, half, one, one);
        Profile p = org.apexbench.profiler.table.HostAttentionSpeed.with(pair, new double[] {2, 2}, new double[] {3, 3});
        Map<String, ProfileTable> t = new HashMap<>(profile().tables());
        t.put(Profile.CPU_DECODE_ATTN, attention(2 / 20.0));
        Profile equivalent = MeasuredRuntime.withSamples(new Profile(profile().fingerprint(), t, 0, "hand-made"), null, null, one,
                threeHalves, one, one);
        IterationPlan overlap = new IterationPlan(List.of(), List.of(decoding(100, Location.GPU)), List.of(decoding(200, Location.HOST),
                decoding(200, Location.HOST)), 1, List.of(), List.of(), List.of(), Strategy.SYMMETRIC_PIPELINE, Double.NaN);
        List<SubtaskRecord> got = new ArrayList<>(), want = new ArrayList<>();
        IterationOutcome out = run(p, overlap, 1, got);
        assertEquals(run(equivalent, overlap, 1, want).endSec(), out.endSec(), 0);
        assertEquals(want, got);
        assertTrue(got.stream().anyMatch(r -> r.op() == org.apexbench.profiler.Op.CPU_DECODE_ATTN && r.durationSec() > 20 * MS + 1e-9),
                "device work beside an attention: slower than alone " + got);
        assertTrue(out.endSec() > run(pair, overlap, 1, null).endSec(), "the pair alone charged the attention at its table, 0.5 beside");
    }
}
