package org.apexbench.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.profiler.table.MeasuredRuntime;
import org.apexbench.reports.Manifest;
import org.apexbench.reports.ReportedRun;
import org.apexbench.reports.ResultFolder;
import org.apexbench.reports.Validation;
import org.apexbench.reports.ValidationReport;
import org.apexbench.reports.ValidationSummary;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "validate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prove the simulator against real runs (docs/validation.md). For each model: profile this machine on",
                "the backend (a discarded warm-up sweep first, then the tables and the runtime samples), warm every engine up",
                "with discarded real runs on the validated workload (--warm-up-runs) and calibrate again, then run every engine",
                "for real and simulated from that profile (by default with its runtime samples taken again right before each",
                "real run), with the same workload, budgets and seed, and compare output throughput, median and p99 TPOT,",
                "median TTFT, strategy mix and GPU/CPU busy time.",
                "Writes DIR/validation.csv, DIR/validation.html, DIR/<model>/profile*.json, DIR/<model>/breakdown.csv and",
                "tpot.csv (each run's iterations and requests broken down, real beside simulated), environment.json and manifest.json,",
                "whole or not at all. --backend cuda does the same on a GPU (and is refused where none can run)."})
final class ValidateCommand implements Callable<Integer> {
    static final String ENGINES = "gpu-only,static-hybrid:neo,static-hybrid:neo[runtime=two-thread],static-hybrid:fastdecode,"
            + "static-hybrid:offload,apex";
    /** After the first round of warm-up runs (every engine warmed once), further rounds start only within this many seconds. */
    static final long WARM_UP_MAX_SEC = 60;
    /** A warm-up round in which the JIT compiled for less than this share (percent) of its wall time ends the warm-up. */
    static final int WARM_UP_QUIET_PERCENT = 5;
    /**
     * Requests of a checkpoint folder's default workload: enough that each real run of a test-data model lasts 1 to 3 s
     * warmed, not 0.15 to 0.4 s, to outlast the machine's slow stretches (docs/validation.md, run 12).
     */
    static final int CHECKPOINT_REQUESTS = 256;
    static final String MODELS = "testdata/models/tiny-llama2,testdata/models/tiny-llama3,testdata/models/tiny-llama32,llama-3.2-1b";

    @Spec CommandSpec spec;

    @Option(names = "--backend", defaultValue = "cpu", paramLabel = "cpu|cuda", description = "Real backend (default ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--model", defaultValue = MODELS, split = ",", paramLabel = "DIR|PRESET,...",
            description = "Models: checkpoint folders (relative ones from the repository root) or presets (synthetic "
                    + "weights: keep to small ones). Default: the test-data models and llama-3.2-1b.")
    List<String> models;

    @Option(names = "--engines", defaultValue = ENGINES, split = EngineChoice.LIST_SPLIT, paramLabel = "E1,E2,...",
            description = "Engines (default: every engine, NEO with both host runtimes).")
    List<String> engines;

    @Option(names = "--requests", paramLabel = "SPEC", description = "Workload of every model (default: " + CHECKPOINT_REQUESTS + " requests of 48+64 "
            + "tokens for checkpoint folders, so that each real run lasts seconds; 8 of 16+16 for presets).")
    String requests;

    @Option(names = "--gpu-kv-blocks", paramLabel = "N", description = "GPU KV pool of every model (default: 8 blocks for "
            + "checkpoint folders, 4 for presets: small, so that requests go to the host).")
    Integer gpuKvBlocks;

    @Option(names = "--host-kv-blocks", paramLabel = "N", description = "Host KV pool (default 256 / 16 blocks).")
    Integer hostKvBlocks;

    @Option(names = "--max-running", paramLabel = "N", description = "Most running requests (default 16 / 4).")
    Integer maxRunning;

    @Option(names = "--max-tokens", paramLabel = "N", description = "Most tokens per iteration (default 128 / 64).")
    Integer maxTokens;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Workload, synthetic-weight and jitter seed.")
    long seed;

    @Option(names = "--repeats", defaultValue = "3", paramLabel = "N",
            description = "Real runs of each engine, interleaved across engines; the simulator is compared with their median and "
                    + "their spread says which misses are the machine's noise (default ${DEFAULT-VALUE}: the fewest whose median "
                    + "ignores one outlier run).")
    int repeats;

    @Option(names = "--warm-up-runs", defaultValue = "5", paramLabel = "N",
            description = "Most rounds of discarded real runs, every engine once a round on the validated workload (a preset: "
                    + "its first --max-running requests), before any measured run, so that the JIT has compiled each engine's "
                    + "own paths (host attention, its scheduler) first; the rounds stop early once one finds the JIT quiet "
                    + "(compiling for less than " + WARM_UP_QUIET_PERCENT + " percent of the round's wall time), and start only within "
                    + WARM_UP_MAX_SEC + " s of the first; on a checkpoint folder one more round follows the recalibration (default "
                    + "${DEFAULT-VALUE}; 0: none).")
    int warmUpRuns;

    @Option(names = "--bracket", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Take the runtime samples (noise, hand-over, contention, two-thread and overlapped layers) again right before every real "
                    + "run and simulate that run from them, the profile's tables kept, so that each simulated run meets the load its "
                    + "real run met; the simulated side is the median of these simulations (default). --no-bracket: simulate each "
                    + "engine once from the profile taken first.")
    boolean bracket;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "N", description = "Workers of each cpu backend (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--summarize", arity = "1..*", paramLabel = "DIR",
            description = "Run nothing: read these complete validation folders and write, per model and engine, the verdict across "
                    + "them (median errors, how many in target, how many misses within their real spread) as DIR/"
                    + ValidationSummary.CSV + " and " + ValidationSummary.HTML + " (--out, default runs/validate-summary).")
    List<Path> summarize;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default runs/validate, replaced; with --summarize "
            + "runs/validate-summary).")
    Path out;

    @Option(names = "--force", description = "Replace a --out that holds earlier results, whole.")
    boolean force;

    @Option(names = "--quiet", description = "No progress lines on stderr.")
    boolean quiet;

    /** The budgets and workload a model is validated with: small pools that push requests to the host. */
    record Case(String model, String workload, int gpuKvBlocks, int hostKvBlocks, int maxRunning, int maxTokens) {
        static Case of(String model, String requests, boolean checkpoint) {
            return checkpoint ? new Case(model, requests != null ? requests : "synthetic:count=" + CHECKPOINT_REQUESTS + ",input=48,output=64",
                    8, 256, 16, 128)
                    : new Case(model, requests != null ? requests : "synthetic:count=8,input=16,output=16", 4, 16, 4, 64);
        }
    }

    @Override
    public Integer call() {
        if (summarize != null) return summarize();
        if (!backend.equals("cpu") && !backend.equals("cuda")) {
            throw new IllegalArgumentException("--backend: validate compares real runs with the simulator: cpu or cuda, got '" + backend + "'");
        }
        RunOptions.checkThreads("--threads", threads);
        RunOptions.checkRange("--repeats", repeats, 1, 100, "a count of real runs per engine, 1 to 100");
        RunOptions.checkRange("--warm-up-runs", warmUpRuns, 0, 20, "the most rounds of discarded real runs, 0 (none) to 20");
        String warning = loadWarning(loadAverage(), Runtime.getRuntime().availableProcessors());
        if (warning != null) spec.commandLine().getErr().println(warning);
        boolean defaultFolder = out == null;
        Path dir = defaultFolder ? ApexCli.root().resolve("runs").resolve("validate") : out;
        CommandProgress progress = quiet ? null : new CommandProgress(spec.commandLine().getErr(), "validate", 0);
        List<Validation> rows = new ArrayList<>();
        List<Manifest.Engine> manifest = new ArrayList<>();
        Map<String, Validation> snapshot = new LinkedHashMap<>();   // with --bracket: the same real runs against the profile's sim
        try (ResultFolder folder = ResultFolder.create(dir, defaultFolder ? "the default folder" : "--out",
                force || defaultFolder ? ResultFolder.Existing.REPLACE : ResultFolder.Existing.REFUSE)) {
            EngineRunner.Setup last = null;
            String device = null;
            for (String m : models) {
                Path modelDir = Path.of(m).isAbsolute() ? Path.of(m) : ApexCli.root().resolve(m);
                boolean checkpoint = Files.isDirectory(modelDir);
                Case c = Case.of(checkpoint ? modelDir.toString() : m, requests, checkpoint);
                c = new Case(c.model(), c.workload(), gpuKvBlocks != null ? gpuKvBlocks : c.gpuKvBlocks(),
                        hostKvBlocks != null ? hostKvBlocks : c.hostKvBlocks(), maxRunning != null ? maxRunning : c.maxRunning(),
                        maxTokens != null ? maxTokens : c.maxTokens());
                String slug = ReportedRun.slug(checkpoint ? modelDir.getFileName().toString() : m);
                Path profileFile = folder.staging().resolve(slug).resolve(ValidationReport.PROFILE);
                if (progress != null) progress.println("validate: profiling " + slug + " on the " + backend + " backend ...");
                profile(c, profileFile, checkpoint);
                EngineRunner.Setup real = EngineRunner.prepare(options(c, backend, profileFile), null);
                OperatorRuns operatorRuns = new OperatorRuns();
                Map<String, Validation.WarmUp> warmUps = warmUp(warmUpSetup(real, checkpoint), slug, operatorRuns, progress);
                if (warmUpRuns > 0) {
                    recalibrate(c, profileFile, real.profile(), checkpoint, operatorRuns, slug, progress);
                    real = EngineRunner.prepare(options(c, backend, profileFile), null);
                }
                EngineRunner.Setup sim = EngineRunner.prepare(options(c, "sim", profileFile), null);
                Map<String, Validation.Metrics> simulated = new LinkedHashMap<>();
                Map<String, List<Validation.Metrics>> measured = new LinkedHashMap<>();
                Map<String, List<Validation.Metrics>> bracketed = new LinkedHashMap<>();
                Map<String, List<Validation.Metrics>> atOwnSpeed = new LinkedHashMap<>();   // engines with their own speed measured
                org.apexbench.profiler.table.Profile taken = real.profile();
                var breakdown = new org.apexbench.reports.IterationBreakdown.Collector();
                for (String e : engines) {
                    EngineRunner.Outcome s = EngineRunner.run(sim, e, progress, false);
                    simulated.put(e, Validation.Metrics.of(s.report().summary(), s.result().iterations()));
                    if (!bracket) breakdown.add(e, "sim", 0, s.result().requests(), s.result().iterations());
                    measured.put(e, new ArrayList<>());
                    bracketed.put(e, new ArrayList<>());
                    if (MeasuredRuntime.ownInRunRatios(taken, e)) {
                        EngineRunner.Outcome d = EngineRunner.run(sim.withProfile(MeasuredRuntime.forEngine(taken, e)), e, null, false);
                        atOwnSpeed.put(e, new ArrayList<>(List.of(Validation.Metrics.of(d.report().summary(), d.result().iterations()))));
                    }
                }
                if (warmUpRuns > 0 && checkpoint) warmUpRound(real, warmUps, slug, "after the recalibration and the simulations", null, progress);
                // interleaved: a drift of the machine's load between repeats hits every engine alike
                for (int k = 1; k <= repeats; k++) {
                    for (String e : engines) {
                        Path fresh = null;
                        org.apexbench.profiler.table.Profile resampled = null;
                        if (bracket) {
                            fresh = profileFile.resolveSibling("profile-" + ReportedRun.slug(e) + "-" + k + ".json");
                            resampled = org.apexbench.engine.runs.EngineRuns.resampleRuntime(real.real(), taken);
                            Outputs.saveProfile(resampled, fresh);
                        }
                        double load = loadAverage();
                        long jit0 = compileMillis();
                        EngineRunner.Outcome r = EngineRunner.run(real, e, progress, false);
                        long jit = compileMillis() - jit0;
                        if (device == null) device = r.device();
                        measured.get(e).add(Validation.Metrics.of(r.report().summary(), r.result().iterations())
                                .withConditions(load, jit0 < 0 ? Double.NaN : jit));
                        breakdown.add(e, "real", k, r.result().requests(), r.result().iterations());
                        if (fresh != null) {
                            EngineRunner.Setup bracketedSim = EngineRunner.prepare(options(c, "sim", fresh), null);
                            EngineRunner.Outcome b = EngineRunner.run(bracketedSim, e, null, false);
                            bracketed.get(e).add(Validation.Metrics.of(b.report().summary(), b.result().iterations()));
                            breakdown.add(e, "sim", k, b.result().requests(), b.result().iterations());
                            if (atOwnSpeed.containsKey(e)) {
                                if (k == 1) atOwnSpeed.get(e).clear();   // bracketed: the snapshot's goes
                                EngineRunner.Outcome d = EngineRunner.run(
                                        bracketedSim.withProfile(MeasuredRuntime.forEngine(resampled, e)), e, null, false);
                                atOwnSpeed.get(e).add(Validation.Metrics.of(d.report().summary(), d.result().iterations()));
                            }
                        }
                        if (k == 1) manifest.add(new Manifest.Engine(slug + ": " + e, slug, r.report().runSpec()));
                        if (progress != null) {
                            progress.println(String.format(Locale.ROOT, "validate: %s %s: real run %d/%d: %.1f output tok/s in %.2f s"
                                    + " (load average %.1f, JIT compiling %d ms)", slug, e, k, repeats,
                                    r.report().summary().outputThroughput(), r.wallSec(), load, jit));
                        }
                    }
                }
                for (String e : engines) {
                    List<Validation.Metrics> atOwn = atOwnSpeed.get(e);
                    Validation v = Validation.of(slug, e, measured.get(e), bracket ? Validation.median(bracketed.get(e)) : simulated.get(e))
                            .withWarmUp(warmUps.get(e))
                            .withSpeed(operatorSpeed(taken, e), atOwn == null ? null : Validation.median(atOwn));
                    rows.add(v);
                    if (bracket) snapshot.put(slug + " " + e, Validation.of(slug, e, measured.get(e), simulated.get(e)));
                    if (progress != null) {
                        progress.println(String.format(Locale.ROOT, "validate: %s %s: throughput %+.1f%% (real spread %.1f%%), median TPOT"
                                + " %+.1f%% (real spread %.1f%%): %s", slug, e, 100 * v.throughputError(),
                                100 * v.realSpread(Validation.Metrics::outputThroughput), 100 * v.medianTpotError(),
                                100 * v.realSpread(Validation.Metrics::medianTpotMs), v.verdict(ValidationReport.TARGET)));
                        if (atOwn != null) {
                            progress.println(String.format(Locale.ROOT, "validate: %s %s: at its own operator speed instead of the shared:"
                                    + " throughput %+.1f%%, median TPOT %+.1f%%", slug, e, 100 * v.ownSpeedThroughputError(),
                                    100 * v.ownSpeedMedianTpotError()));
                        }
                    }
                }
                breakdown.write(profileFile.getParent());
                last = real;
            }
            Path staging = folder.staging();
            ValidationReport.writeCsv(staging.resolve(ValidationReport.CSV), rows);
            ValidationReport.writeHtml(staging.resolve(ValidationReport.HTML), "apex validate: simulated vs real on the " + backend
                    + " backend", "Every engine run for real and simulated from the profile measured on this machine"
                    + (bracket ? ", its runtime samples taken again right before each real run (the simulated side: the median of one"
                    + " simulation per real run)," : " right before,")
                    + " with the same workload, budgets and seed; errors are sim / real - 1 against the median of " + repeats + " real runs"
                    + " (target: throughput and median TPOT within " + Math.round(100 * ValidationReport.TARGET) + "%, docs/validation.md).", rows);
            Outputs.writeEnvironment(staging, last, device);
            folder.commit("validation", Outputs.arguments(spec), manifest);
        }
        var w = spec.commandLine().getOut();
        for (Validation v : rows) {
            w.printf(Locale.ROOT, "%-14s %-40s throughput %8.1f real %8.1f sim (%+6.1f%%, real spread %4.1f%%)  median TPOT %8.2f real"
                    + " %8.2f sim ms (%+6.1f%%, real spread %4.1f%%)  %s%n", v.model(), v.engine(), v.real().outputThroughput(),
                    v.sim().outputThroughput(), 100 * v.throughputError(), 100 * v.realSpread(Validation.Metrics::outputThroughput),
                    v.real().medianTpotMs(), v.sim().medianTpotMs(), 100 * v.medianTpotError(),
                    100 * v.realSpread(Validation.Metrics::medianTpotMs), v.verdict(ValidationReport.TARGET).name().toLowerCase(Locale.ROOT));
            if (v.ownSpeedSim() != null) {
                w.printf(Locale.ROOT, "%-14s %-40s   at its own operator speed instead of the shared: throughput %+6.1f%%, median TPOT %+6.1f%%%n",
                        v.model(), v.engine(), 100 * v.ownSpeedThroughputError(), 100 * v.ownSpeedMedianTpotError());
            }
            Validation s = snapshot.get(v.model() + " " + v.engine());
            if (s != null) {
                w.printf(Locale.ROOT, "%-14s %-40s   simulated from the profile taken first instead: throughput %+6.1f%%, median TPOT %+6.1f%%%n",
                        v.model(), v.engine(), 100 * s.throughputError(), 100 * s.medianTpotError());
            }
        }
        w.println("wrote " + dir.resolve(ValidationReport.HTML));
        return 0;
    }

    /** The options --summarize takes beside the folders; any other is refused: it runs nothing. */
    private static final java.util.Set<String> SUMMARIZE_OPTIONS = java.util.Set.of("--summarize", "--out", "--force", "--quiet");

    /** {@code --summarize}: the verdict across the validation folders given ({@link ValidationSummary}). */
    private int summarize() {
        for (var o : spec.commandLine().getParseResult().matchedOptions()) {
            if (!SUMMARIZE_OPTIONS.contains(o.longestName())) {
                throw new IllegalArgumentException(o.longestName() + ": --summarize runs nothing, it reads finished validations; it takes "
                        + "only --out, --force and --quiet beside the folders");
            }
        }
        List<ValidationSummary.Engine> engines = ValidationSummary.read(summarize);
        boolean defaultFolder = out == null;
        Path dir = defaultFolder ? ApexCli.root().resolve("runs").resolve("validate-summary") : out;
        Path target = dir.toAbsolutePath().normalize();
        for (Path f : summarize) {
            Path read = f.toAbsolutePath().normalize();
            if (read.startsWith(target) || target.startsWith(read)) {
                throw new IllegalArgumentException((defaultFolder ? "the default folder " : "--out ") + dir + ": it would replace or sit inside "
                        + "the validation folder " + f + " that --summarize reads; give another folder");
            }
        }
        try (ResultFolder folder = ResultFolder.create(dir, defaultFolder ? "the default folder" : "--out",
                force || defaultFolder ? ResultFolder.Existing.REPLACE : ResultFolder.Existing.REFUSE)) {
            ValidationSummary.writeCsv(folder.staging().resolve(ValidationSummary.CSV), engines);
            ValidationSummary.writeHtml(folder.staging().resolve(ValidationSummary.HTML), summarize, engines);
            folder.commit("validation-summary", Outputs.arguments(spec), List.of());
        }
        var w = spec.commandLine().getOut();
        for (ValidationSummary.Engine e : engines) {
            w.printf(Locale.ROOT, "%-14s %-40s %d validations: throughput %+6.1f%% (median; %+.1f to %+.1f), median TPOT %+6.1f%% (%+.1f to"
                    + " %+.1f); in target %d, missed within the real spread %d, beyond it %d: %s%n", e.model(), e.engine(), e.rows().size(),
                    100 * e.medianThroughputError(), 100 * e.least(ValidationSummary.Row::throughputError),
                    100 * e.greatest(ValidationSummary.Row::throughputError), 100 * e.medianTpotError(),
                    100 * e.least(ValidationSummary.Row::medianTpotError),
                    100 * e.greatest(ValidationSummary.Row::medianTpotError),
                    e.count(Validation.Verdict.WITHIN_TARGET), e.count(Validation.Verdict.WITHIN_REAL_SPREAD),
                    e.count(Validation.Verdict.MODEL_ERROR), e.verdict(ValidationReport.TARGET).name().toLowerCase(Locale.ROOT));
        }
        w.println("wrote " + dir.resolve(ValidationSummary.HTML));
        return 0;
    }

    /** The run options of one side of a model's validation, parsed as `apex run` would parse them. */
    private RunOptions options(Case c, String side, Path profile) {
        RunOptions o = new RunOptions();
        new CommandLine(o).parseArgs("--backend", side, "--model", c.model(), "--requests", c.workload(), "--seed", Long.toString(seed),
                "--gpu-kv-blocks", Integer.toString(c.gpuKvBlocks()), "--host-kv-blocks", Integer.toString(c.hostKvBlocks()),
                "--max-running", Integer.toString(c.maxRunning()), "--max-tokens", Integer.toString(c.maxTokens()),
                "--threads", Integer.toString(threads), "--kv-dtype", "f16", "--profile", profile.toString());
        return o;
    }

    /**
     * The setup of the warm-up runs: the validated workload of a checkpoint folder's model (a fraction of a second to a
     * second or two a run on the test-data models); of a preset, its first {@code --max-running} requests (one batch, whose
     * KV spills to the host as the full workload's does): a preset's full run takes 30 to 50 s on this machine.
     */
    static EngineRunner.Setup warmUpSetup(EngineRunner.Setup real, boolean checkpoint) {
        var requests = real.workload().requests();
        int n = warmUpRequests(requests.size(), checkpoint, real.budgets().maxRunning());
        return n == requests.size() ? real : real.withRequests(requests.subList(0, n), "the first " + n + " requests of " + real.workloadText());
    }

    /** How many of a validated workload's {@code requests} the warm-up runs: all of a checkpoint folder's, a batch of a preset's. */
    static int warmUpRequests(int requests, boolean checkpoint, int maxRunning) {
        return checkpoint ? requests : Math.min(requests, Math.max(1, maxRunning));
    }

    /**
     * Runs up to {@link #warmUpRuns} rounds of discarded real runs, every engine once a round in the validated order, before
     * any measured run: warming every engine before measuring any means that no engine's first run, whose new types can
     * make the JVM recompile shared code, lands among the measured runs. One round is not enough (after it the JIT still
     * compiles through the first measured rounds; docs/validation.md, run 9), so rounds go on until one finds the JIT
     * quiet ({@link #quiet}), and start only while the model's warm-up has taken
     * less than {@link #WARM_UP_MAX_SEC} (a preset's first round takes longer: it stops there). On a checkpoint folder the
     * caller runs one more round after the recalibration and the simulations, whose runs of the same engines' code on other
     * shapes and another executor made the JVM recompile inside the first measured run for a second (docs/validation.md,
     * run 12); not on a preset, whose round takes minutes and whose runs last 30 to 50 s.
     */
    private Map<String, Validation.WarmUp> warmUp(EngineRunner.Setup setup, String slug, OperatorRuns operatorRuns,
                                                  CommandProgress progress) {
        Map<String, Validation.WarmUp> done = new LinkedHashMap<>();
        for (String e : engines) done.put(e, Validation.WarmUp.NONE);
        long t0 = System.nanoTime();
        boolean quiet = false;
        for (int round = 1; round <= warmUpRuns && !quiet && (round == 1 || System.nanoTime() - t0 < WARM_UP_MAX_SEC * 1_000_000_000L); round++) {
            long roundJit0 = compileMillis(), round0 = System.nanoTime();
            warmUpRound(setup, done, slug, "(at most " + warmUpRuns + ")", operatorRuns, progress);
            quiet = roundJit0 >= 0 && quiet(compileMillis() - roundJit0, (System.nanoTime() - round0) / 1e6);
        }
        return done;
    }

    /**
     * The in-run ratios of each engine's warm-up runs ({@link IterationCalibration#inRunRatios}), one map a run in the order
     * they ran, of the device subtasks that ran with no host attention beside them ({@link IterationCalibration#deviceAlone}),
     * and how many were left out of each run for it.
     */
    static final class OperatorRuns {
        final Map<String, List<Map<String, double[]>>> ratios = new LinkedHashMap<>();
        final Map<String, List<Integer>> besideHost = new LinkedHashMap<>();
        /** The widths of the subtasks of {@link #ratios}, one a ratio ({@link IterationCalibration.InRun#widths}). */
        final Map<String, List<Map<String, double[]>>> widths = new LinkedHashMap<>();

        /** Each run's per-iteration runtime samples ({@link IterationCostFit#samples}), in the order they ran. */
        final Map<String, List<List<IterationCostFit.Sample>>> iterationSamples = new LinkedHashMap<>();

        /** Per engine, each run's host-attention in-run ratios split by what ran beside them ({@link HostAttentionRatios}). */
        final Map<String, List<HostAttentionRatios.Split>> hostAttention = new LinkedHashMap<>();

        void add(String engine, org.apexbench.profiler.table.Profile profile, List<org.apexbench.profiler.IterationRecord> iterations,
                 List<org.apexbench.profiler.SubtaskRecord> subtasks) {
            iterationSamples.computeIfAbsent(engine, k -> new ArrayList<>()).add(IterationCostFit.samples(iterations, subtasks));
            hostAttention.computeIfAbsent(engine, k -> new ArrayList<>()).add(HostAttentionRatios.of(profile, subtasks));
            IterationCalibration.DeviceSubtasks d = IterationCalibration.deviceAlone(subtasks);
            IterationCalibration.InRun run = IterationCalibration.inRun(profile, d.alone());
            ratios.computeIfAbsent(engine, k -> new ArrayList<>()).add(run.ratios());
            besideHost.computeIfAbsent(engine, k -> new ArrayList<>()).add(d.besideHost());
            widths.computeIfAbsent(engine, k -> new ArrayList<>()).add(run.widths());
        }

        List<Map<String, double[]>> of(String engine) { return ratios.getOrDefault(engine, List.of()); }

        /** {@code engine}'s per-iteration samples of the runs {@link IterationCalibration#pooled} takes: all but the first of several. */
        List<IterationCostFit.Sample> iterationSamplesPooled(String engine) {
            return IterationCalibration.pooledRuns(iterationSamples.getOrDefault(engine, List.of())).stream().flatMap(List::stream).toList();
        }

        List<Map<String, double[]>> widthsOf(String engine) { return widths.getOrDefault(engine, List.of()); }

        /** {@code engine}'s host-attention split over the runs {@link HostAttentionRatios#pooled} takes. */
        HostAttentionRatios.Split hostAttentionOf(String engine) {
            return HostAttentionRatios.pooled(hostAttention.getOrDefault(engine, List.of()));
        }

        /** The device subtasks left out of the runs {@link IterationCalibration#pooled} takes of {@code engine}'s. */
        int besideHostPooled(String engine) {
            List<Integer> n = besideHost.getOrDefault(engine, List.of());
            return IterationCalibration.pooledRuns(n).stream().mapToInt(Integer::intValue).sum();
        }
    }

    /**
     * One discarded real run of every engine in the validated order, added to each engine's warm-up in {@code done}; each
     * engine's device subtasks, as in-run ratios against the profile's tables, added to {@code operatorRuns} unless it is null.
     */
    private void warmUpRound(EngineRunner.Setup setup, Map<String, Validation.WarmUp> done, String slug, String which,
                             OperatorRuns operatorRuns, CommandProgress progress) {
        for (String e : engines) {
            long jit0 = compileMillis();
            EngineRunner.Outcome r = EngineRunner.run(setup, e, null, false);
            long jit = compileMillis() - jit0;
            if (operatorRuns != null) operatorRuns.add(e, setup.profile(), r.result().iterations(), r.result().subtasks());
            Validation.WarmUp w = done.get(e);
            done.put(e, new Validation.WarmUp(w.runs() + 1, w.iterations() + r.result().iterations().size(), w.seconds() + r.wallSec(),
                    jit0 < 0 ? Double.NaN : (w.runs() == 0 ? 0 : w.jitMs()) + jit));
            if (progress != null) {
                progress.println(String.format(Locale.ROOT, "validate: %s %s: warm-up run %d %s, discarded: %d iterations"
                        + " in %.2f s (JIT compiling %d ms)", slug, e, w.runs() + 1, which, r.result().iterations().size(), r.wallSec(), jit));
            }
        }
    }

    /** Whether a warm-up round of {@code wallMs} in which the JIT compiled for {@code jitMs} found it quiet: the warm-up's end. */
    static boolean quiet(double jitMs, double wallMs) {
        return jitMs < WARM_UP_QUIET_PERCENT / 100.0 * wallMs;
    }

    /**
     * Calibrates the profile at {@code file} again after the warm-up ({@link IterationCalibration}, without its own warm-up:
     * the JVM is warm now), so that the in-run ratios and the per-iteration runtime time are measured in the JVM the measured
     * runs meet, not in the one before the warm-up: the warmed runs run the operators faster than a calibration taken
     * before the warm-up prices them (docs/validation.md, run 9).
     */
    private void recalibrate(Case c, Path file, org.apexbench.profiler.table.Profile profile, boolean checkpoint,
                             OperatorRuns operatorRuns, String slug, CommandProgress progress) {
        String gpuOnly = IterationCalibration.DEFAULT_ENGINE;
        Map<String, double[]> pooled = IterationCalibration.pooled(operatorRuns.of(gpuOnly));
        Map<String, Map<String, double[]>> own = new LinkedHashMap<>();
        for (String e : engines) if (!e.equals(gpuOnly)) own.put(e, IterationCalibration.pooled(operatorRuns.of(e)));
        // no per-width ratios from gpu-only's runs alone: every engine's give them together (below)
        var calibrated = IterationCalibration.calibrate(profile, file, backend, c.model(), threads, "f16", budgets(c), seed,
                calibrationWorkload(checkpoint), calibratedEngines(checkpoint), false, pooled, Map.of(), own);
        var shared = machineSpeed(calibrated.profile(), operatorRuns);
        Outputs.saveProfile(shared, file);
        IterationCostFit.apply(shared, file, engines, operatorRuns::iterationSamplesPooled,
                progress == null ? null : line -> progress.println("validate: " + slug + " " + line));
        if (progress != null) {
            var gpuOnlyWidths = SharedWidthRatios.apply(calibrated.profile(), SharedWidthRatios.pool(List.of(operatorRuns.of(gpuOnly)),
                    List.of(operatorRuns.widthsOf(gpuOnly))));
            progress.println("validate: " + slug + ": operator speed per width (TABLE: per bucket, x its least width, 0 pooled; TABLE@width: per width), from every"
                    + " engine's warm-up runs:" + SharedWidthRatios.describe(shared) + "; from gpu-only's alone:" + SharedWidthRatios.describe(gpuOnlyWidths));
            var host = org.apexbench.profiler.table.HostAttentionSpeed.of(shared);
            StringBuilder b = new StringBuilder("validate: " + slug + ": host attention in runs over its table (median), alone / beside"
                    + " device work: " + (host == null ? "not measured" : String.format(Locale.ROOT, "%.3f / %.3f", host.alone(), host.beside()))
                    + "; per engine (alone / beside / left out between):");
            for (String e : engines) {
                HostAttentionRatios.Split h = operatorRuns.hostAttentionOf(e);
                b.append(String.format(Locale.ROOT, " %s %s (%d) / %s (%d) / %d;", e, median(h.alone()), h.alone().length,
                        median(h.beside()), h.beside().length, h.between()));
            }
            progress.println(b.toString());
            progress.println("validate: " + slug + ": " + operatorSpeed(calibrated.profile(), operatorRuns.of(gpuOnly).size(), pooled)
                    + "; the calibration run's own:" + factors(IterationCalibration.withInRunRatios(profile, calibrated.calibrationRunRatios())));
            for (var e : own.entrySet()) {
                int runs = operatorRuns.of(e.getKey()).size();
                progress.println(String.format(Locale.ROOT, "validate: %s %s: its own operator speed%s, from %s (%d device subtasks with no"
                        + " host attention beside them; %d beside it left out)", slug, e.getKey(),
                        factors(MeasuredRuntime.forEngine(calibrated.profile(), e.getKey())),
                        runs == 1 ? "its warm-up run" : "its warm-up runs 2 to " + runs,
                        e.getValue().values().stream().mapToInt(v -> v.length).sum(), operatorRuns.besideHostPooled(e.getKey())));
            }
        }
    }

    /**
     * {@code calibrated} with the one simulated machine's operator speed from every validated engine's warm-up runs: the
     * per-width in-run ratios ({@link SharedWidthRatios}) and the host attention's in-run speed beside device work and alone
     * ({@link HostAttentionRatios}, each side at most {@link IterationCalibration#MAX_IN_RUN_SAMPLES} kept).
     */
    private org.apexbench.profiler.table.Profile machineSpeed(org.apexbench.profiler.table.Profile calibrated, OperatorRuns runs) {
        List<List<Map<String, double[]>>> ratios = new ArrayList<>(), widths = new ArrayList<>();
        HostAttentionRatios.Split host = HostAttentionRatios.Split.NONE;
        for (String e : engines) {
            ratios.add(runs.of(e));
            widths.add(runs.widthsOf(e));
            host = host.plus(runs.hostAttentionOf(e));
        }
        var p = SharedWidthRatios.apply(calibrated, SharedWidthRatios.pool(ratios, widths));
        return org.apexbench.profiler.table.HostAttentionSpeed.with(p, reduced(host.alone()), reduced(host.beside()));
    }

    private static double[] reduced(double[] v) { return IterationCalibration.quantiles(v, IterationCalibration.MAX_IN_RUN_SAMPLES); }

    private static String median(double[] v) {
        return v.length == 0 ? "-" : String.format(Locale.ROOT, "%.3f", MeasuredRuntime.median(v));
    }

    /** The operator speed engine {@code engine}'s simulation takes from {@code profile} (the shared one), and its own where held. */
    static Validation.OperatorSpeed operatorSpeed(org.apexbench.profiler.table.Profile profile, String engine) {
        Map<String, Double> shared = new LinkedHashMap<>(), own = new LinkedHashMap<>();
        boolean measured = MeasuredRuntime.ownInRunRatios(profile, engine);
        var ownProfile = MeasuredRuntime.forEngine(profile, engine);
        for (String table : MeasuredRuntime.IN_RUN_TABLES) {
            shared.put(table, MeasuredRuntime.inRunScale(profile, table));
            if (measured) own.put(table, MeasuredRuntime.inRunScale(ownProfile, table));
        }
        return new Validation.OperatorSpeed(shared, own);
    }

    /** Each device table's factor in {@code profile} (its median in-run ratio), as " pre 0.812 post 0.731 ...". */
    private static String factors(org.apexbench.profiler.table.Profile profile) {
        StringBuilder b = new StringBuilder();
        for (String table : org.apexbench.profiler.table.MeasuredRuntime.IN_RUN_TABLES) {
            b.append(String.format(Locale.ROOT, " %s %.3f", table, org.apexbench.profiler.table.MeasuredRuntime.inRunScale(profile, table)));
        }
        return b.toString();
    }

    /**
     * The line saying where the simulator's level of the operators' speed comes from: the median in-run ratio of each device
     * table in {@code calibrated}, and which runs gave them ({@code runs} gpu-only warm-up runs, {@code pooled} their ratios
     * as {@link IterationCalibration#pooled} took them; none: the calibration run's).
     */
    static String operatorSpeed(org.apexbench.profiler.table.Profile calibrated, int runs, Map<String, double[]> pooled) {
        StringBuilder b = new StringBuilder("operator speed in runs (median in-run ratio over the profile's tables)").append(factors(calibrated));
        if (runs == 0) return b.append(", from the gpu-only calibration run (no gpu-only warm-up run: gpu-only is not validated)").toString();
        int subtasks = pooled.values().stream().mapToInt(v -> v.length).sum();
        return b.append(String.format(Locale.ROOT, ", from %s on the warm-up workload (%d device subtasks)",
                runs == 1 ? "gpu-only's warm-up run" : "gpu-only's warm-up runs 2 to " + runs, subtasks)).toString();
    }

    /** The workload each engine's per-iteration calibration runs: a checkpoint folder's, or a preset's smaller one. */
    private static String calibrationWorkload(boolean checkpoint) {
        return checkpoint ? IterationCalibration.WORKLOAD : IterationCalibration.PRESET_WORKLOAD;
    }

    /** The engines calibrated each on its own: every validated one for a checkpoint folder, none for a preset ({@link #profile}). */
    private List<String> calibratedEngines(boolean checkpoint) {
        return checkpoint ? engines : List.of();
    }

    private static EngineBudgets budgets(Case c) {
        return new EngineBudgets(c.maxRunning(), c.maxTokens(), c.gpuKvBlocks(), c.hostKvBlocks(), EngineBudgets.DEFAULT_BLOCK_SIZE);
    }

    /**
     * The warning validate prints before it starts when the machine's load average {@code load} exceeds its {@code cores}:
     * other processes then take wall time from the real runs, whose spread grows (docs/validation.md); null otherwise.
     */
    static String loadWarning(double load, int cores) {
        if (!(load > cores)) return null;
        return String.format(Locale.ROOT, "validate: warning: the load average is %.1f on %d cores: other processes will take time from the"
                + " real runs and widen their spread; on a shared machine run validate at raised priority (docs/validation.md)", load, cores);
    }

    /** Milliseconds this JVM's JIT compilers have spent compiling so far (-1 where the JVM does not say). */
    static long compileMillis() {
        var jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }

    /** The machine's 1-minute load average (the JDK reads /proc/loadavg on Linux), NaN where the system has none. */
    static double loadAverage() {
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return load < 0 ? Double.NaN : load;
    }

    /**
     * Profiles the model on the backend in this process (its kernels stay compiled for the real runs that follow). A
     * checkpoint folder's model gets every validated engine's per-iteration runtime time calibrated on its own, after a
     * warm-up run; a preset only gpu-only's, once: its iterations take a second, of which the runtime's time is a few
     * milliseconds, and each calibration run costs a load of synthetic weights (profiling llama-3.2-1b with 12 calibration
     * runs had not finished after 17 minutes at load average 12 to 14).
     */
    private void profile(Case c, Path file, boolean checkpoint) {
        try {
            Files.createDirectories(file.getParent());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create " + file.getParent(), e);
        }
        ProfileCommand.measureMachine(backend, c.model(), threads, "f16", seed, budgets(c), file,
                calibrationWorkload(checkpoint), calibratedEngines(checkpoint), checkpoint);
    }
}
