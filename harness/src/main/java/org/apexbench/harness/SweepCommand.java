package org.apexbench.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apexbench.profiler.Rejections;
import org.apexbench.profiler.metrics.Summary;
import org.apexbench.reports.JsonFiles;
import org.apexbench.reports.Manifest;
import org.apexbench.reports.ResultFolder;
import org.apexbench.reports.SweepReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Load-latency curves: run each engine at each request rate (the workload's rate= is replaced).",
                "Writes DIR/sweep.csv (one row per engine and rate), DIR/sweep.html (throughput, p99 TTFT and p99 TPOT",
                "against the rate) and DIR/<engine>/rate-<R>/summary.json.",
                "--find-max-rate: binary search, per engine, for the highest rate whose p99 TTFT and p99 TPOT meet",
                "--slo-ttft-ms / --slo-tpot-ms (at least one required); results in DIR/max_rate.csv.",
                "--over NAME --values V1,V2,...: sweep any numeric run option instead of the rate (e.g. gpu-memory,",
                "max-running, max-tokens, sim-cpu-slowdown) or an engine option (engine-option:marginPct); the",
                "workload keeps its own rate; DIR/sweep.csv has a NAME column, points in DIR/<engine>/<NAME>-<V>/."})
final class SweepCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--engines", defaultValue = CompareCommand.DEFAULT_ENGINES, split = EngineChoice.LIST_SPLIT, paramLabel = "E1,E2,...",
            description = "Engines (default ${DEFAULT-VALUE}).")
    List<String> engines;

    @Option(names = "--rates", split = ",", paramLabel = "R1,R2,...", description = "Request rates (req/s) to run.")
    List<Double> rates;

    @Option(names = "--over", paramLabel = "NAME", description = "Sweep this run option or engine-option:KEY instead of the rate.")
    String over;

    @Option(names = "--values", split = ",", paramLabel = "V1,V2,...", description = "Values of --over.")
    List<Double> values;

    @Option(names = "--find-max-rate", description = "Search the highest rate meeting the SLOs instead of a fixed list.")
    boolean findMaxRate;

    @Option(names = "--min-rate", defaultValue = "0.1", paramLabel = "R", description = "Search range low end (req/s).")
    double minRate;

    @Option(names = "--max-rate", defaultValue = "32", paramLabel = "R", description = "Search range high end (req/s).")
    double maxRate;

    @Option(names = "--search-steps", defaultValue = "7", paramLabel = "N", description = "Bisection steps (geometric).")
    int steps;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder, written whole or not at "
            + "all (with DIR/manifest.json); an existing non-empty one is refused (see --force).")
    Path out;

    @Option(names = "--force", description = "Replace a --out that holds earlier results, whole (never merged).")
    boolean force;

    /** Where this sweep writes: the result folder's staging sibling until it is complete. */
    private Path dir;
    /** The whole sweep's progress (null when quiet). */
    private CommandProgress progress;

    @Mixin RunOptions options;

    @Override
    public Integer call() throws Exception {
        progress = options.quiet ? null : new CommandProgress(spec.commandLine().getErr(), "sweep", 0);
        try (ResultFolder folder = Outputs.open(out, force)) {
            dir = folder.staging();
            int status = sweep();
            if (progress != null) progress.finish("results written");
            folder.commit("sweep", Outputs.arguments(spec), engines.stream()
                    .map(e -> new Manifest.Engine(e, org.apexbench.reports.ReportedRun.slug(e), java.util.Map.of())).toList());
            return status;
        }
    }

    private int sweep() throws java.io.IOException {
        int modes = (rates != null ? 1 : 0) + (findMaxRate ? 1 : 0) + (over != null ? 1 : 0);
        if (modes != 1) {
            throw new IllegalArgumentException("give exactly one of --rates R1,R2,..., --find-max-rate or --over NAME --values V1,V2,...");
        }
        if (values != null) {
            for (double v : values) RunOptions.checkRange("--values", v, -Double.MAX_VALUE, Double.MAX_VALUE, "finite numbers");
        }
        if (over != null) return sweepParameter();
        if (values != null) throw new IllegalArgumentException("--values goes with --over NAME");
        if (rates != null) {
            for (double r : rates) {
                if (!(r > 0) || Double.isInfinite(r)) throw new IllegalArgumentException("--rates: every rate must be > 0, got " + r);
            }
        }
        if (findMaxRate) {
            if (options.sloTtftMs == null && options.sloTpotMs == null) {
                throw new IllegalArgumentException("--find-max-rate needs --slo-ttft-ms and/or --slo-tpot-ms");
            }
            if (!(minRate > 0 && maxRate > minRate) || !Double.isFinite(maxRate)) {
                throw new IllegalArgumentException("--min-rate and --max-rate must satisfy 0 < min < max, got " + minRate + ", " + maxRate);
            }
            if (steps < 1 || steps > 60) throw new IllegalArgumentException("--search-steps must be in [1, 60] (60 halvings reach a "
                    + "double's precision), got " + steps);
        }
        List<SweepReport.Point> points = new ArrayList<>();
        List<SweepReport.MaxRate> maxRows = new ArrayList<>();
        java.util.Map<String, Integer> rejectedBy = new java.util.HashMap<>();
        int perEngine = findMaxRate ? steps + 2 : rates.size();
        plan(engines.size() * perEngine);
        for (String engine : engines) {
            if (findMaxRate) {
                int before = points.size();
                MaxRateSearch.Result<Probe> r = MaxRateSearch.search(minRate, maxRate, steps, rate -> point(engine, rate, points),
                        this::meets);
                plan(points.size() - before - perEngine);   // the search may stop before its last step
                maxRows.add(r.rate() == null ? new SweepReport.MaxRate(engine, null, null, null)
                        : new SweepReport.MaxRate(engine, r.rate(), r.best().summary().ttft().p99Ms(), r.best().summary().tpot().p99Ms()));
                if (r.best() != null) rejectedBy.put(engine, r.best().rejected());
            } else {
                for (double r : rates) point(engine, r, points);
            }
        }
        writeCurves("rate", "APEX Bench load sweep", "request rate (req/s)", " with rate= replaced", points);
        var o = spec.commandLine().getOut();
        if (findMaxRate) {
            SweepReport.writeMaxRateCsv(dir.resolve("max_rate.csv"), maxRows);
            for (SweepReport.MaxRate m : maxRows) {
                o.println(m.rate() == null ? m.engine() + ": no rate in [" + minRate + ", " + maxRate + "] meets the SLOs"
                        : String.format(Locale.ROOT, "%-28s max rate %.4f req/s (p99 TTFT %.1f ms, p99 TPOT %.1f ms)%s", m.engine(),
                        m.rate(), m.p99TtftMs(), m.p99TpotMs(), rejectedBy.getOrDefault(m.engine(), 0) == 0 ? ""
                                : ", " + rejectedBy.get(m.engine()) + " requests rejected as never servable"));
            }
        }
        o.println("wrote " + out.resolve("sweep.csv") + " and " + out.resolve("sweep.html"));
        return 0;
    }

    /** {@code --over NAME --values ...}: every engine at every value, the workload as given. */
    private int sweepParameter() throws java.io.IOException {
        if (values == null || values.isEmpty()) throw new IllegalArgumentException("--over " + over + " needs --values V1,V2,...");
        SweepParameter p = SweepParameter.of(over, spec, options);
        List<SweepReport.Point> points = new ArrayList<>();
        plan(engines.size() * values.size());
        for (String engine : engines) {
            for (double v : values) {
                p.with(v, () -> runPoint(engine, v, org.apexbench.reports.ReportedRun.slug(p.name() + "-" + SweepParameter.text(v)), points));
            }
        }
        writeCurves(p.name(), "APEX Bench sweep of " + p.name(), p.name(), "", points);
        spec.commandLine().getOut().println("wrote " + out.resolve("sweep.csv") + " and " + out.resolve("sweep.html"));
        return 0;
    }

    /** sweep.csv (one row per engine and value, the value in column {@code column}) and sweep.html. */
    private void writeCurves(String column, String title, String axis, String workloadNote, List<SweepReport.Point> points) {
        SweepReport.writeCsv(dir.resolve("sweep.csv"), column, points);
        SweepReport.writeHtml(dir.resolve("sweep.html"), title, axis, points, "Workload " + options.workloadText(CompareCommand.DEFAULT_WORKLOAD)
                + workloadNote + "; " + options.hardware + " + " + options.model + " (" + options.backend + ").");
    }

    /** One sweep point's metrics, and how many of its failed requests the engine rejected as never servable. */
    private record Probe(Summary summary, int rejected) {}

    /**
     * Whether a point meets the SLOs: over the requests the engine serves. A request it rejects as never servable
     * fails at every rate, so it does not count against the rate (the console says how many); any other failure does.
     */
    private boolean meets(Probe p) { return meets(p.summary(), p.rejected(), options.sloTtftMs, options.sloTpotMs); }

    /** {@link #meets(Probe)} for a run's summary, its never-servable rejections and the p99 objectives (null: none). */
    static boolean meets(Summary s, int rejected, Double sloTtftMs, Double sloTpotMs) {
        if (s.failed() > rejected || s.completed() == 0) return false;
        boolean ttft = sloTtftMs == null || s.ttft().p99Ms() <= sloTtftMs;
        boolean tpot = sloTpotMs == null || (s.tpot().count() == 0 || s.tpot().p99Ms() <= sloTpotMs);
        return ttft && tpot;
    }

    /** Adds {@code points} sweep points (one pass over the workload each) to the progress plan. */
    private void plan(long points) {
        if (progress != null) {
            progress.replan(points * EngineRunner.prepare(options, CompareCommand.DEFAULT_WORKLOAD).workload().requests().size());
        }
    }

    private Probe point(String engine, double rate, List<SweepReport.Point> points) {
        String saved = options.requests;
        options.requests = withRate(options.workloadText(CompareCommand.DEFAULT_WORKLOAD), rate);
        try {
            return runPoint(engine, rate, String.format(Locale.ROOT, "rate-%.4g", rate), points);
        } finally {
            options.requests = saved;
        }
    }

    /** One engine at one point of the sweep, with the options as they stand: its point and DIR/<engine>/<dirName>/summary.json. */
    private Probe runPoint(String engine, double value, String dirName, List<SweepReport.Point> points) {
        // a point writes only its summary: one pass, no timeline window
        EngineRunner.Outcome o = EngineRunner.run(EngineRunner.prepare(options, CompareCommand.DEFAULT_WORKLOAD), engine, progress, false);
        points.add(new SweepReport.Point(engine, value, o.report().summary()));
        try {
            Path pointDir = dir.resolve(o.report().slug()).resolve(dirName);
            Files.createDirectories(pointDir);
            JsonFiles.writeSummary(pointDir.resolve(JsonFiles.SUMMARY), o.report());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return new Probe(o.report().summary(), Rejections.of(o.report().records().requests()).size());
    }

    /** The spec with its rate option set to {@code rate} (added when absent). */
    static String withRate(String text, double rate) {
        String r = "rate=" + String.format(Locale.ROOT, "%s", rate);
        if (text.matches("(?s).*\\brate\\s*=\\s*[0-9.eE+-]+.*")) return text.replaceAll("\\brate\\s*=\\s*[0-9.eE+-]+", r);
        if (text.startsWith("mixed")) return text + (text.contains(";") ? "," : ";") + r;
        return text + (text.contains(":") ? "," : ":") + r;
    }
}
