package org.apexbench.harness;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apexbench.reports.PaperReport;
import org.apexbench.reports.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "reproduce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Reproduce a published experiment grid in sim (paper: the APEX paper's grid; neo: NEO's T4",
                "load-latency and A10G CPU-sensitivity experiments against their published points).",
                "paper = APEX, arXiv 2506.03296:",
                "{t4-g4dn.4xlarge + llama-2-7b, a10g-g5.8xlarge + llama-3.1-8b} x {chat (sharegpt), long-output,",
                "cot (output cap 2048)} x",
                "{gpu-only, static-hybrid:neo, static-hybrid:fastdecode, apex}; all requests arrive at once (offline",
                "throughput). Writes DIR/paper.md and DIR/paper.csv (throughput, latency, APEX's gains beside the",
                "paper's) and one comparison folder per setup and workload. An engine that fails a cell is reported",
                "there (and the exit status is 1); the other cells still run.",
                "neo = NEO (MLSys'25) Fig. 6c (T4 + llama-2-7b, NEO's OSC workload, Poisson load vs per-token latency,",
                "NEO and vLLM) and Fig. 10a (A10G + llama-3.1-8b on g5.2/4/8/16xlarge, NEO's throughput relative to",
                "GPU-only vs output length), with NEO's settings and metric definitions. Writes DIR/neo.csv (every",
                "published point, the simulated value and the error) and DIR/neo.html (tables and published-vs-",
                "simulated charts). Exit status 1 when a point misses its target (latency 20%%, relative throughput",
                "10%%); docs/fidelity.md explains the data and the settings.",
                "capacity = the capacity matrix: per GPU and host, model, workload and SLO pair (p99 TPOT, p99 TTFT), the",
                "highest Poisson request rate each engine sustains (geometric bisection resolving 2%%). Writes",
                "DIR/capacity.csv (one row per cell, SLO pair and engine), DIR/capacity-summary.csv (per cell: the best",
                "baseline, APEX, APEX / best - 1, whether APEX >= every baseline within the resolution) and",
                "DIR/capacity.html (a heat map of APEX over the best baseline), DIR/capacity-probes.csv (every run of the",
                "searches; --check-above says where pass/fail was not monotone in the rate; --draws K judges each rate over K draws).",
                "Restrict the grid with --gpus, --models,",
                "--workloads, --slos, --engines; docs/capacity.md describes the grid."})
final class ReproduceCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "EXPERIMENT", description = "paper, neo or capacity")
    String experiment;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder, written whole or not at "
            + "all (with DIR/manifest.json); an existing non-empty one is refused (see --force).")
    Path out;

    @Option(names = "--force", description = "Replace a --out that holds earlier results, whole (never merged).")
    boolean force;

    @Option(names = {"--count", "--requests"}, paramLabel = "N",
            description = "Requests per workload cell (paper: default 128, a few minutes on 2 cores; neo: default 2000, "
                    + "NEO's count, a few minutes on 2 cores; capacity: default " + CAPACITY_REQUESTS + " per run).")
    Integer count;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Workload seed.")
    long seed;

    @Option(names = "--engines", split = EngineChoice.LIST_SPLIT, paramLabel = "E1,E2,...", description = "Engines (paper: "
            + "default " + PAPER_ENGINES + "; capacity: default every baseline and apex, " + CapacityMatrix.DEFAULT_ENGINES + "; "
            + "one of them must be an apex engine).")
    List<String> engines;

    @Option(names = "--gpus", split = ",", paramLabel = "HW1,HW2,...", description = "capacity: hardware specs (default "
            + CapacityMatrix.DEFAULT_GPUS + ").")
    List<String> gpus;

    @Option(names = "--models", split = ",", paramLabel = "M1,M2,...", description = "capacity: model presets (default "
            + CapacityMatrix.DEFAULT_MODELS + "); a model that does not fit a GPU skips that pair, saying why.")
    List<String> models;

    @Option(names = "--workloads", split = ",", paramLabel = "W1,W2,...", description = "capacity: workloads (default all: "
            + "chat, long-output, cot, osc, synth-decode, synth-neo, trace-code; docs/capacity.md).")
    List<String> workloads;

    @Option(names = "--slos", split = ",", paramLabel = "TPOT_MS:TTFT_MS,...", description = "capacity: SLO pairs, p99 TPOT "
            + "and p99 TTFT in ms (default 100:10000,200:10000).")
    List<String> slos;

    @Option(names = "--jobs", paramLabel = "N", description = "capacity: searches run in parallel (default: the number of "
            + "processors).")
    Integer jobs;

    @Option(names = "--min-span-s", paramLabel = "S", description = "capacity: each run's arrivals span at least S seconds "
            + "(max(--requests, rate x S) requests, at most --max-requests), so a rate is a steady load, not a burst "
            + "(default " + CAPACITY_MIN_SPAN_S + "; docs/capacity.md).")
    Double minSpanSec;

    @Option(names = "--max-requests", paramLabel = "N", description = "capacity: most requests per run (default "
            + CAPACITY_MAX_REQUESTS + ").")
    Integer maxRequests;

    @Option(names = "--check-above", paramLabel = "K", description = "capacity: after each search, probe the K points of its "
            + "grid above the failing bound, to tell an answer that rests on pass/fail being monotone in the rate (default "
            + CAPACITY_CHECK_ABOVE + "; 0: none; docs/capacity.md).")
    Integer checkAbove;

    @Option(names = "--draws", paramLabel = "K", description = "capacity: judge each probed rate over K independent draws of "
            + "the workload (seeds S .. S+K-1; every engine of a cell runs the same K draws), by --draw-rule (default 1: one "
            + "draw; docs/capacity.md, Repeated draws).")
    Integer draws;

    @Option(names = "--draw-rule", paramLabel = "RULE", description = "capacity, with --draws K > 1: pooled (p99 TTFT and TPOT "
            + "over the K draws' requests together, as one K times longer run; default) or majority (more than half of the "
            + "draws meet the SLOs on their own).")
    String drawRule;

    @Option(names = "--quiet", description = "No progress lines on stderr.")
    boolean quiet;

    static final String PAPER_ENGINES = "gpu-only,static-hybrid:neo,static-hybrid:fastdecode,apex";
    static final int CAPACITY_REQUESTS = 100;
    static final int CAPACITY_MIN_SPAN_S = 300;
    static final int CAPACITY_MAX_REQUESTS = 1000;
    static final int CAPACITY_CHECK_ABOVE = 6;

    record Setup(String hardware, String model, String gpu) {}

    static final List<Setup> SETUPS = List.of(new Setup("t4-g4dn.4xlarge", "llama-2-7b", "T4"),
            new Setup("a10g-g5.8xlarge", "llama-3.1-8b", "A10"));
    /**
     * Workload name -> spec. Chat is the ShareGPT-like parametric mix (mean input ~161, output ~338): the Azure
     * conversation trace has prompts a T4's ~3.7K-token GPU KV pool cannot hold, which gpu-only refuses outright.
     * CoT outputs are capped at 2048 for the same reason (Llama-2's context is 4096).
     */
    static final java.util.Map<String, String> WORKLOADS = new java.util.LinkedHashMap<>(java.util.Map.of());

    static {
        WORKLOADS.put("chat", "sharegpt");
        WORKLOADS.put("long-output", "long-output");
        WORKLOADS.put("cot", "cot:cap=2048");
    }

    @Override
    public Integer call() {
        if (!experiment.equals("paper") && !experiment.equals("neo") && !experiment.equals("capacity")) {
            throw new IllegalArgumentException("unknown experiment '" + experiment + "'; known: paper, neo, capacity");
        }
        if (count != null && count < 1) throw new IllegalArgumentException("--count (--requests) must be >= 1, got " + count);
        if (experiment.equals("capacity")) return capacity();
        if (gpus != null || models != null || workloads != null || slos != null || jobs != null || minSpanSec != null
                || maxRequests != null || checkAbove != null || draws != null || drawRule != null) {
            throw new IllegalArgumentException("--gpus, --models, --workloads, --slos, --jobs, --min-span-s, --max-requests, "
                    + "--check-above, --draws and --draw-rule restrict `reproduce capacity`; "
                    + experiment + " has a fixed grid");
        }
        if (engines == null) engines = List.of(PAPER_ENGINES.split(","));
        if (experiment.equals("neo")) return neo();
        int count = this.count == null ? 128 : this.count;
        try (org.apexbench.reports.ResultFolder folder = Outputs.open(out, force)) {
            int status = grid(folder.staging(), count);
            folder.commit("paper", Outputs.arguments(spec), engines.stream().map(e -> new org.apexbench.reports.Manifest.Engine(e,
                    ".", java.util.Map.of())).toList());
            spec.commandLine().getOut().println("wrote " + out.resolve("paper.md") + " and " + out.resolve("paper.csv")
                    + (status != 0 ? " (some engine runs FAILED; see paper.md)" : ""));
            return status;
        }
    }

    /** The capacity matrix; always 0 (APEX losing a cell is a result, shown in the summary). */
    private int capacity() {
        CapacityMatrix.Grid grid = capacityGrid();
        try (org.apexbench.reports.ResultFolder folder = Outputs.open(out, force)) {
            long t0 = System.nanoTime();
            CapacityMatrix.Result r = new CapacityMatrix(grid, quiet ? null : spec.commandLine().getErr()).run();
            double wall = (System.nanoTime() - t0) / 1e9;
            boolean several = grid.draws() > 1;
            org.apexbench.reports.CapacityReport.write(folder.staging(), r.rows(), r.skipped(), String.format(Locale.ROOT,
                    "Simulated (`apex reproduce capacity --requests %d --min-span-s %s --max-requests %d --seed %d%s`): each run "
                    + "max(%d, rate x %s s) requests, at most %d, Poisson arrivals, default budgets (the GPU KV pool by vLLM's "
                    + "rule, half the host memory for the host KV pool), 512 running requests and 2048 tokens per iteration. Per "
                    + "engine, the highest rate whose p99 TPOT and p99 TTFT meet the SLO pair%s; in each cell every engine runs the "
                    + "same requests, the workload's draw less those any engine of the cell can never serve (capacity.csv "
                    + "counts each engine's rejections on the full workload). docs/capacity.md.",
                    grid.requests(), plainSeconds(grid.minSpanSec()), grid.maxRequests(), grid.seed(),
                    several ? " --draws " + grid.draws() + " --draw-rule " + grid.rule().text() : "", grid.requests(),
                    plainSeconds(grid.minSpanSec()), grid.maxRequests(), several ? ", each rate judged over " + drawsText(grid) : ""),
                    several ? grid.rule().text() : "");
            org.apexbench.reports.CapacityProbes.write(folder.staging(), r.probes());
            folder.commit("capacity", Outputs.arguments(spec), grid.engines().stream()
                    .map(e -> new org.apexbench.reports.Manifest.Engine(e, ".", java.util.Map.of())).toList());
            var o = spec.commandLine().getOut();
            var summary = org.apexbench.reports.CapacityReport.summarize(r.rows());
            for (var s : summary) {
                o.println(String.format(Locale.ROOT, "%-58s %-7s APEX %s, best baseline %s %s%s%s", s.cell().key(), s.verdict().text(),
                        s.apexRate() == null ? "none" : String.format(Locale.ROOT, "%.4g", s.apexRate()),
                        s.bestBaseline() == null ? "(none meets)" : s.bestBaseline(),
                        s.bestRate() == null ? "" : String.format(Locale.ROOT, "%.4g", s.bestRate()),
                        s.gain() == null ? "" : String.format(Locale.ROOT, " (%+.1f%%)", 100 * s.gain()),
                        s.monotonicity().depends() ? " [rests on a non-monotone answer: " + s.monotonicity().verdict().text()
                                + " at every engine's highest rate met]" : ""));
            }
            long loses = summary.stream().filter(s -> !s.verdict().dominates()).count();
            o.println(String.format(Locale.ROOT, "wrote %s, %s and %s: %d cells, APEX below the best baseline in %d%s; %.0f s wall",
                    out.resolve(org.apexbench.reports.CapacityReport.CSV), out.resolve(org.apexbench.reports.CapacityReport.SUMMARY_CSV),
                    out.resolve(org.apexbench.reports.CapacityReport.HTML), summary.size(), loses,
                    several ? "; every answer over " + drawsText(grid) : "", wall));
            return 0;
        }
    }

    /** "K draws (seeds S..S+K-1), RULE": what an answer over several draws is judged on. */
    private static String drawsText(CapacityMatrix.Grid g) {
        return String.format(Locale.ROOT, "%d draws (seeds %d..%d), %s", g.draws(), g.seed(), g.seed() + g.draws() - 1,
                g.rule() == Draws.Rule.POOLED ? "p99s over their requests pooled" : "met when more than half of them meet the SLOs");
    }

    private static String plainSeconds(double s) { return java.math.BigDecimal.valueOf(s).stripTrailingZeros().toPlainString(); }

    /** The capacity grid from the options, every name checked before any work. */
    private CapacityMatrix.Grid capacityGrid() {
        List<String> g = gpus == null ? CapacityMatrix.GPUS : gpus.stream().map(String::strip).toList();
        g.forEach(CapacityMatrix::checkGpu);
        List<String> m = models == null ? CapacityMatrix.MODELS : models.stream().map(String::strip).toList();
        m.forEach(CapacityMatrix::checkModel);
        List<CapacityMatrix.Workload> w = workloads == null ? CapacityMatrix.WORKLOADS
                : workloads.stream().map(CapacityMatrix::workload).toList();
        List<CapacityMatrix.Slo> s = slos == null ? CapacityMatrix.SLOS : slos.stream().map(CapacityMatrix.Slo::parse).toList();
        List<String> e = engines == null ? CapacityMatrix.ENGINES : engines.stream().map(String::strip).toList();
        long apex = e.stream().filter(CapacityMatrix::isApex).count();
        if (apex != 1 || e.size() < 2) {
            throw new IllegalArgumentException("--engines: the capacity matrix compares one apex engine with at least one "
                    + "baseline; got " + e);
        }
        for (List<?> axis : List.of(g, m, w, s, e)) {
            if (new java.util.HashSet<>(axis).size() != axis.size()) {
                throw new IllegalArgumentException("a grid option names the same value twice: " + axis);
            }
        }
        int j = jobs == null ? Runtime.getRuntime().availableProcessors() : jobs;
        if (j < 1 || j > 256) throw new IllegalArgumentException("--jobs must be in [1, 256], got " + j);
        int n = count == null ? CAPACITY_REQUESTS : count;
        return new CapacityMatrix.Grid(g, m, w, s, e, n, seed, j, minSpanSec == null ? CAPACITY_MIN_SPAN_S : minSpanSec,
                maxRequests == null ? Math.max(n, CAPACITY_MAX_REQUESTS) : maxRequests,
                checkAbove == null ? CAPACITY_CHECK_ABOVE : checkAbove, draws == null ? 1 : draws,
                drawRule == null ? Draws.Rule.POOLED : Draws.Rule.parse(drawRule));
    }

    /** NEO's two experiments; 1 when a point misses its target. */
    private int neo() {
        int n = count == null ? 2000 : count;
        NeoReproduction.Scope scope = new NeoReproduction.Scope(n, n, null, null, null, seed);
        try (org.apexbench.reports.ResultFolder folder = Outputs.open(out, force)) {
            CommandProgress progress = quiet ? null : new CommandProgress(spec.commandLine().getErr(), "reproduce neo",
                    CommandProgress.units(new NeoReproduction(scope, null).runs(), n, 1));
            List<org.apexbench.reports.NeoReport.Point> points = new NeoReproduction(scope, progress).run();
            org.apexbench.reports.NeoReport.write(folder.staging(), List.of(NeoReproduction.T4_EXPERIMENT,
                    NeoReproduction.A10G_EXPERIMENT), points, String.format(Locale.ROOT, "Simulated (`apex reproduce neo "
                    + "--count %d --seed %d`) against NEO's published points (NEO-MLSys25/NEO, Apache-2.0, digitised from its "
                    + "README figures); the T4 arrivals are drawn as NEO's client draws them (numpy's legacy generator; seed 0 is "
                    + "NEO's own draw), the A10G lengths are our seeded draw (NEO's are one draw of Python's unseeded random). "
                    + "See docs/fidelity.md.", n, seed));
            folder.commit("neo", Outputs.arguments(spec), List.of());
            if (progress != null) progress.finish(points.size() + " points");
            var o = spec.commandLine().getOut();
            long missed = 0;
            for (org.apexbench.reports.NeoReport.Point p : points) {
                o.println(String.format(Locale.ROOT, "%-22s %-12s x=%-6s published %s%.3f simulated %.3f error %+.1f%%%s",
                        p.experiment(), p.series(), java.math.BigDecimal.valueOf(p.x()).stripTrailingZeros().toPlainString(),
                        p.lowerBound() ? ">" : "", p.published(), p.simulated(), p.errorPct(), p.meetsTarget() ? "" : " (MISSED)"));
                if (!p.meetsTarget()) missed++;
            }
            o.println("wrote " + out.resolve(org.apexbench.reports.NeoReport.HTML) + (missed > 0
                    ? " (" + missed + " of " + points.size() + " points MISS their target)" : ""));
            return missed > 0 ? 1 : 0;
        }
    }

    /** Every cell of the grid into {@code out}; 1 when an engine failed a cell. */
    private int grid(Path out, int count) {
        var err = quiet ? null : spec.commandLine().getErr();
        List<PaperReport.Cell> cells = new ArrayList<>();
        int failures = 0, total = SETUPS.size() * WORKLOADS.size() * engines.size();
        // One line per engine run is printed by EngineRunner; one progress line and ETA for the whole grid.
        CommandProgress progress = quiet ? null : new CommandProgress(err, "reproduce paper", CommandProgress.units(total, count, 1));
        for (Setup s : SETUPS) {
            for (String w : WORKLOADS.keySet()) {
                RunOptions o = new RunOptions();
                o.backend = "sim";
                o.model = s.model();
                o.hardware = s.hardware();
                o.maxRunning = 512;
                o.maxTokens = 2048;
                o.seed = seed;
                String base = WORKLOADS.get(w);
                o.requests = base + (base.contains(":") ? "," : ":") + "count=" + count;
                EngineRunner.Setup setup = EngineRunner.prepare(o, null);
                List<org.apexbench.reports.ReportedRun> runs = new ArrayList<>();
                for (String e : engines) {
                    String where = s.hardware() + " + " + s.model();
                    try {
                        var r = EngineRunner.run(setup, e, progress, true).report();
                        runs.add(r);
                        cells.add(new PaperReport.Cell(where, s.gpu(), w, e, r.summary(),
                                org.apexbench.profiler.Rejections.of(r.records().requests()).size()));
                    } catch (IllegalArgumentException | IllegalStateException ex) {
                        // One engine failing a cell is a result to show, not a reason to lose the grid.
                        failures++;
                        cells.add(new PaperReport.Cell(where, s.gpu(), w, e, null, ex.getMessage()));
                        if (progress != null) {
                            progress.println(e + ": FAILED on " + where + " / " + w + ": " + ex.getMessage());
                            progress.replan(-CommandProgress.units(1, count, 1));   // its pass will not run (reserved ones stay)
                        }
                    }
                }
                if (runs.isEmpty()) continue;
                Path dir = out.resolve(s.hardware() + "_" + s.model() + "_" + w);
                RunDirectory.writeComparison(dir, org.apexbench.reports.HtmlReport.title(runs) + ", " + w, runs, false);
                // each cell is a comparison folder of its own, readable by `apex report --in`
                org.apexbench.reports.Manifest.describe(dir, "comparison", Outputs.arguments(spec), runs.stream()
                        .map(r -> new org.apexbench.reports.Manifest.Engine(r.label(), r.slug(), r.runSpec())).toList()).write(dir);
            }
        }
        PaperReport.write(out, cells, String.format(Locale.ROOT, "Simulated (`apex reproduce paper --count %d --seed %d`): "
                + "%d requests per cell, all arriving at t=0 (offline throughput), default budgets: the GPU KV pool by vLLM's "
                + "rule on each GPU's reported memory (docs/fidelity.md) and half the host memory for the host KV pool. The paper's A10 host size is not stated; "
                + "we use g5.8xlarge. Chat = ShareGPT-like lengths (the Azure conversation trace has prompts longer than a T4's "
                + "GPU KV pool); CoT outputs capped at 2048 tokens (Llama-2-7B's context is 4096).", count, seed, count));
        if (progress != null) progress.finish(total + " engine runs" + (failures > 0 ? ", " + failures + " FAILED (see paper.md)" : ""));
        return failures > 0 ? 1 : 0;
    }
}
