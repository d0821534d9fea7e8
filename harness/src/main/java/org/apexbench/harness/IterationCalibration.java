package org.apexbench.harness;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.cost.TableCostModel;
import org.apexbench.profiler.table.MeasuredRuntime;
import org.apexbench.profiler.table.Profile;
import picocli.CommandLine;

/**
 * The last part of a measured machine's profile: short real calibration runs (their own small workload, not any
 * validated one) whose iterations give the runtime's time outside any subtask (scheduling, batch building,
 * bookkeeping; {@link MeasuredRuntime#ITERATION_SAMPLES}), which no subtask table holds, and whose device subtasks
 * (gpu-only's) give each device operator's time inside a run against its table's ({@link MeasuredRuntime#inRunTable}). gpu-only's is the default; an
 * engine calibrated on its own ({@link MeasuredRuntime#iterationTable}) gets its scheduler's own cost. Each engine runs
 * the workload twice and only the second run counts: the first run of an engine in a JVM times the JIT compiling its
 * scheduler and the loop (in a quiet profile of tiny-llama3 the first two iterations took 4.8 and 1.0 ms, the rest
 * about 0.1 ms, and they tripled the mean).
 */
final class IterationCalibration {
    /** The calibration workload of a checkpoint folder's model. */
    static final String WORKLOAD = "synthetic:count=8,input=16,output=16";
    /** The calibration workload of a preset (synthetic weights of a real model's size: an iteration takes a second). */
    static final String PRESET_WORKLOAD = "synthetic:count=4,input=16,output=4";
    static final String DEFAULT_ENGINE = "gpu-only";
    /** Iterations an engine runs, discarded, before its calibration run (the JIT's warm-up). */
    static final int WARM_UP_ITERATIONS = 2000;
    /** The longest an engine's warm-up runs (bounds it where a run is slow: a loaded machine, a larger model). */
    static final long MAX_WARM_UP_SEC = 3;
    /** Most in-run ratios a profile keeps of one table ({@link #quantiles}). */
    static final int MAX_IN_RUN_SAMPLES = 257;

    private IterationCalibration() { }

    /**
     * @param profile  the machine's profile so far, saved at {@code file} (the calibration runs predict from it); the
     *                 calibrated profile replaces it there
     * @param model    checkpoint folder or preset, as the profile was taken on
     * @param workload the calibration workload ({@link #WORKLOAD} or {@link #PRESET_WORKLOAD})
     * @param engines  engines calibrated on their own besides gpu-only (labels as `apex run --engine` takes them)
     * @param warmUp   whether each engine's calibration run is preceded by a discarded one (worth it where the runtime's
     *                 time is a sizeable part of an iteration: the test-data models, not a preset's second-long iterations,
     *                 where each run also costs a load of synthetic weights)
     */
    static Profile calibrate(Profile profile, Path file, String backend, String model, int threads, String kvDtype, EngineBudgets b,
                             long seed, String workload, List<String> engines, boolean warmUp) {
        return calibrate(profile, file, backend, model, threads, kvDtype, b, seed, workload, engines, warmUp, null, Map.of(), Map.of())
                .profile();
    }

    /**
     * A calibrated profile, and the in-run ratios of its gpu-only calibration run ({@link #inRunRatios}), whether the profile
     * took them or other runs' (validate prints both: docs/validation.md, run 14).
     */
    record Calibrated(Profile profile, Map<String, double[]> calibrationRunRatios) { }

    /**
     * As above, with the in-run ratios of each table that {@code inRunRatios} holds at least 2 of ({@link #inRunRatios}, of
     * runs longer than the calibration's: `apex validate`'s gpu-only warm-up runs on the validated workload) instead of the
     * gpu-only calibration run's; a table it lacks keeps the calibration run's (null: the calibration run's for every
     * table); the widths of their subtasks ({@code inRunWidths}: per table, one a ratio, as {@link InRun#widths} gives
     * them), from which the profile keeps per-width ratios ({@link MeasuredRuntime#withInRunWidthRatios}; a table of
     * {@code inRunRatios} without its widths gets none); and each engine's own in-run ratios ({@code ownRatios}: engine
     * label to table to ratios, each of a table held at least twice; {@link #deviceAlone}'s subtasks of that engine's own
     * runs) stored beside the default's ({@link MeasuredRuntime#inRunTable(String, String)}): a diagnostic, which validate
     * simulates beside the shared speed every engine's simulation takes.
     */
    static Calibrated calibrate(Profile profile, Path file, String backend, String model, int threads, String kvDtype, EngineBudgets b,
                                long seed, String workload, List<String> engines, boolean warmUp, Map<String, double[]> inRunRatios,
                                Map<String, double[]> inRunWidths, Map<String, Map<String, double[]>> ownRatios) {
        RunOptions o = new RunOptions();
        new CommandLine(o).parseArgs("--backend", backend, "--model", model, "--requests", workload, "--seed", Long.toString(seed + 7919),
                "--gpu-kv-blocks", Integer.toString(b.gpuKvBlocks()), "--host-kv-blocks", Integer.toString(b.hostKvBlocks()),
                "--max-running", Integer.toString(b.maxRunning()), "--max-tokens", Integer.toString(b.maxTokensPerIteration()),
                "--threads", Integer.toString(threads), "--kv-dtype", kvDtype, "--profile", file.toString(), "--all-subtasks");
        EngineRunner.Setup setup = EngineRunner.prepare(o, null);
        Set<String> all = new LinkedHashSet<>();
        all.add(DEFAULT_ENGINE);
        all.addAll(engines);
        Profile calibrated = profile;
        Map<String, double[]> calibrationRun = Map.of();
        for (String engine : all) {
            if (warmUp) warmUp(setup, engine);
            var result = EngineRunner.run(setup, engine, null, false).result();
            double[] samples = samples(result.iterations());
            calibrated = MeasuredRuntime.withIterationSamples(calibrated,
                    engine.equals(DEFAULT_ENGINE) ? MeasuredRuntime.ITERATION_SAMPLES : MeasuredRuntime.iterationTable(engine), samples);
            if (engine.equals(DEFAULT_ENGINE)) {
                InRun run = inRun(calibrated, result.subtasks());
                calibrationRun = run.ratios();
                Map<String, double[]> ratios = new LinkedHashMap<>(calibrationRun);
                Map<String, double[]> widths = new LinkedHashMap<>(run.widths());
                if (inRunRatios != null) inRunRatios.forEach((table, r) -> {
                    if (r.length < 2) return;
                    ratios.put(table, r);
                    widths.remove(table);
                    double[] w = inRunWidths.get(table);
                    if (w != null && w.length == r.length) widths.put(table, w);
                });
                calibrated = withInRunRatios(calibrated, ratios, widths);
            }
        }
        calibrated = withOwnInRunRatios(calibrated, ownRatios);
        Outputs.saveProfile(calibrated, file);
        return new Calibrated(calibrated, calibrationRun);
    }

    /**
     * {@code profile} with each engine's own in-run ratios in {@code ownRatios} (engine label to table to ratios; a table
     * with fewer than 2 is left out: that engine's own takes the default's), at most {@link #MAX_IN_RUN_SAMPLES} kept a table.
     */
    static Profile withOwnInRunRatios(Profile profile, Map<String, Map<String, double[]>> ownRatios) {
        Profile out = profile;
        for (var engine : ownRatios.entrySet()) {
            for (var e : engine.getValue().entrySet()) {
                if (e.getValue().length < 2) continue;
                out = MeasuredRuntime.withInRunRatios(out, e.getKey(), engine.getKey(), quantiles(e.getValue(), MAX_IN_RUN_SAMPLES));
            }
        }
        return out;
    }

    /**
     * The device subtasks of a run that ran while the host computed no attention: each device subtask ({@link
     * org.apexbench.profiler.Resource#GPU}) whose interval meets no CPU decode attention's. These give an engine's own
     * operator speed without the contention of the host role beside it, which the simulator charges on its own (the
     * contention pair, the two-thread layer's noise): a ratio taken from the overlapped ones too would count it twice.
     *
     * @return those subtasks, and how many device subtasks were left out because the host computed beside them
     */
    static DeviceSubtasks deviceAlone(List<SubtaskRecord> subtasks) {
        List<double[]> host = new ArrayList<>();
        for (SubtaskRecord r : subtasks) if (r.op() == Op.CPU_DECODE_ATTN) host.add(new double[] {r.startSec(), r.endSec()});
        host.sort(java.util.Comparator.comparingDouble(h -> h[0]));
        // ends[i]: the latest end among the first i + 1 host intervals by start, so one binary search per device subtask
        double[] starts = new double[host.size()], ends = new double[host.size()];
        for (int i = 0; i < starts.length; i++) {
            starts[i] = host.get(i)[0];
            ends[i] = Math.max(host.get(i)[1], i > 0 ? ends[i - 1] : Double.NEGATIVE_INFINITY);
        }
        List<SubtaskRecord> alone = new ArrayList<>();
        int beside = 0;
        for (SubtaskRecord r : subtasks) {
            if (r.resource() != org.apexbench.profiler.Resource.GPU) continue;
            // the host intervals starting before this subtask ends; one of them overlaps it iff the latest end is after its start
            int k = firstAtOrAfter(starts, r.endSec()) - 1;
            if (k >= 0 && ends[k] > r.startSec()) beside++;
            else alone.add(r);
        }
        return new DeviceSubtasks(alone, beside);
    }

    /** A run's device subtasks that ran with no host attention beside them, and the count of those left out for it. */
    record DeviceSubtasks(List<SubtaskRecord> alone, int besideHost) { }

    /** The index of the first of the ascending {@code v} at or after {@code t}; {@code v.length} where none is. */
    static int firstAtOrAfter(double[] v, double t) {
        int lo = 0, hi = v.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (v[mid] < t) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /**
     * Runs the calibration workload of {@code engine}, discarded, until the engine has run {@link #WARM_UP_ITERATIONS}
     * iterations, at least once and for at most {@link #MAX_WARM_UP_SEC}: the JIT compiles the scheduler and the loop after
     * thousands of invocations, not after one short run (one warm-up run of 32 iterations left tiny-llama3's gpu-only
     * calibration at 0.09 to 0.27 ms per iteration against 0.01 to 0.02 ms in the validated runs' 1776).
     */
    private static void warmUp(EngineRunner.Setup setup, String engine) {
        long t0 = System.nanoTime();
        int iterations = 0;
        do {
            iterations += EngineRunner.run(setup, engine, null, false).result().iterations().size();
        } while (iterations < WARM_UP_ITERATIONS && System.nanoTime() - t0 < MAX_WARM_UP_SEC * 1_000_000_000L);
    }

    /**
     * {@code profile} with the in-run ratios ({@link MeasuredRuntime#inRunTable}) of the device subtasks in {@code subtasks}
     * ({@link #inRunRatios}; a table with fewer than 2 such subtasks gets none). Measured on tiny-llama3, a standalone real
     * run's operators took 0.9 to 1.2 times their tables (PRE 1.1 to 1.6, POST 0.9 to 1.3), and a validation's real runs, in
     * the process that had just profiled, 0.8 times; in a profile whose sweeps caught a slow compiled state, POST took a fifth
     * of its table (docs/validation.md).
     */
    static Profile withInRunRatios(Profile profile, List<SubtaskRecord> subtasks) {
        return withInRunRatios(profile, inRunRatios(profile, subtasks));
    }

    /**
     * {@code profile} with the in-run ratios of each table in {@code ratios} that has at least 2 (one subtask is no median),
     * at most {@link #MAX_IN_RUN_SAMPLES} of them kept ({@link #quantiles}: their median is that of all).
     */
    static Profile withInRunRatios(Profile profile, Map<String, double[]> ratios) { return withInRunRatios(profile, ratios, Map.of()); }

    /**
     * As above, and per-width ratios ({@link MeasuredRuntime#withInRunWidthRatios}) of each table whose subtasks' widths
     * {@code widths} holds (one a ratio, in the same order).
     */
    static Profile withInRunRatios(Profile profile, Map<String, double[]> ratios, Map<String, double[]> widths) {
        Profile out = profile;
        for (var e : ratios.entrySet()) {
            if (e.getValue().length < 2) continue;
            out = MeasuredRuntime.withInRunRatios(out, e.getKey(), quantiles(e.getValue(), MAX_IN_RUN_SAMPLES));
            double[] w = widths.get(e.getKey());
            if (w != null) out = MeasuredRuntime.withInRunWidthRatios(out, e.getKey(), e.getValue(), w);
        }
        return out;
    }

    /**
     * Each device subtask's time in {@code subtasks} over its table's time in {@code profile} for the same shape, per device
     * table ({@link MeasuredRuntime#IN_RUN_TABLES}); host work, copies and subtasks of no rows give none.
     */
    static Map<String, double[]> inRunRatios(Profile profile, List<SubtaskRecord> subtasks) { return inRun(profile, subtasks).ratios(); }

    /**
     * A run's in-run ratios ({@link #inRunRatios}) and the width (rows) of each subtask they were taken of, per table, in the
     * same order.
     */
    record InRun(Map<String, double[]> ratios, Map<String, double[]> widths) { }

    /** {@link #inRunRatios} and their subtasks' widths, in one pass over {@code subtasks}. */
    static InRun inRun(Profile profile, List<SubtaskRecord> subtasks) {
        TableCostModel tables = new TableCostModel(profile);
        Map<String, List<Double>> ratios = new LinkedHashMap<>(), widths = new LinkedHashMap<>();
        for (SubtaskRecord r : subtasks) {
            String table = switch (r.op()) {
                case PRE -> Profile.PRE;
                case POST -> Profile.POST;
                case EMBED -> Profile.EMBED;
                case LM_HEAD -> Profile.LM_HEAD;
                case GPU_DECODE_ATTN -> Profile.GPU_DECODE_ATTN;
                default -> null;
            };
            if (table == null || r.rows() < 1) continue;
            SubtaskFeatures f = r.op() == Op.GPU_DECODE_ATTN ? SubtaskFeatures.decode(r.rows(), Math.max(r.rows(), r.contextTokens()))
                    : SubtaskFeatures.linear(r.rows());
            double t = tables.seconds(r.op(), f);
            if (t > 0 && r.durationSec() > 0) {
                ratios.computeIfAbsent(table, k -> new ArrayList<>()).add(r.durationSec() / t);
                widths.computeIfAbsent(table, k -> new ArrayList<>()).add((double) r.rows());
            }
        }
        return new InRun(arrays(ratios), arrays(widths));
    }

    private static Map<String, double[]> arrays(Map<String, List<Double>> lists) {
        Map<String, double[]> out = new LinkedHashMap<>();
        lists.forEach((table, v) -> out.put(table, v.stream().mapToDouble(Double::doubleValue).toArray()));
        return out;
    }

    /**
     * The in-run ratios of several runs pooled per table ({@code runs}: one {@link #inRunRatios} each, in the order they ran):
     * every run's but the first's where there are several (the first run of a warm-up meets the JIT compiling, and the
     * first of a series is most often the slow one: docs/validation.md, run 12), the first's where it is the only one; an
     * empty map where there is none.
     */
    static Map<String, double[]> pooled(List<Map<String, double[]>> runs) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (Map<String, double[]> run : pooledRuns(runs)) run.forEach((table, v) -> out.merge(table, v, IterationCalibration::concat));
        return out;
    }

    /** The runs {@link #pooled} takes of several, in order: every one but the first (it meets the JIT compiling), or the one. */
    static <T> List<T> pooledRuns(List<T> runs) { return runs.subList(runs.size() > 1 ? 1 : 0, runs.size()); }

    /** {@code a} then {@code b}, in one new array. */
    static double[] concat(double[] a, double[] b) {
        double[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    /**
     * {@code v} itself where it holds at most {@code m} values, else {@code m} (odd) evenly spaced quantiles of it (linear
     * between order statistics, the least and the greatest included), whose median is {@code v}'s: a validated workload's
     * gpu-only run gives tens of thousands of ratios a table (tiny-llama3: 14208 iterations of 3 layers), which a profile,
     * saved once per real run, need not carry.
     */
    static double[] quantiles(double[] v, int m) {
        if (m < 3 || m % 2 == 0) throw new IllegalArgumentException("quantiles: need an odd count of at least 3, got " + m);
        if (v.length <= m) return v.clone();
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        double[] q = new double[m];
        for (int i = 0; i < m; i++) {
            double at = (double) i * (s.length - 1) / (m - 1);
            int lo = (int) Math.floor(at);
            int hi = Math.min(lo + 1, s.length - 1);
            // interpolated from the midpoint of the two order statistics, so that the middle quantile of an even count is
            // 0.5 * (s[lo] + s[hi]) to the bit, as MeasuredRuntime.median computes it
            q[i] = lo == hi || at == lo ? s[lo] : 0.5 * (s[lo] + s[hi]) + (at - lo - 0.5) * (s[hi] - s[lo]);
        }
        return q;
    }

    /** Each iteration's time in neither device work nor a wait for the host. */
    static double[] samples(List<IterationRecord> iterations) {
        double[] samples = new double[iterations.size()];
        for (int i = 0; i < samples.length; i++) {
            IterationRecord it = iterations.get(i);
            samples[i] = Math.max(1e-9, it.durationSec() - it.gpuBusySec() - it.gpuStallSec());
        }
        return samples;
    }
}
