package org.apexbench.harness;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apexbench.engine.runs.EngineRuns;
import org.apexbench.model.ModelPresets;
import org.apexbench.profiler.Rejections;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.metrics.Summary;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.reports.CapacityProbes;
import org.apexbench.reports.CapacityReport;
import org.apexbench.reports.ProgressReporter;
import org.apexbench.workloads.RequestSpec;

/**
 * The capacity matrix (`apex reproduce capacity`): for every GPU and host, model, workload and SLO pair, the highest
 * Poisson request rate each engine sustains while p99 TPOT and p99 TTFT meet the pair, by {@link MaxRateSearch} with
 * enough steps to resolve {@link #RESOLUTION}. One task per (hardware, model, workload, engine) runs that engine's
 * searches for every SLO pair, sharing the runs at rates both searches probe; tasks run on a bounded pool and each
 * depends only on its own inputs, so the result is the same for any number of jobs and any scheduling.
 */
final class CapacityMatrix {
    /** The default grid's hardware, models and engines, as the command's help shows them (comma-separated). */
    static final String DEFAULT_GPUS = "t4-g4dn.4xlarge,a10g-g5.2xlarge,a10g-g5.4xlarge,a10g-g5.8xlarge,a10g-g5.16xlarge,l4-g6.4xlarge";
    static final String DEFAULT_MODELS = "llama-2-7b,llama-3.1-8b";
    static final String DEFAULT_ENGINES = "gpu-only,static-hybrid:neo,static-hybrid:neo[runtime=two-thread],static-hybrid:fastdecode,"
            + "static-hybrid:offload,apex";
    static final List<String> GPUS = List.of(DEFAULT_GPUS.split(","));
    static final List<String> MODELS = List.of(DEFAULT_MODELS.split(","));
    static final List<String> ENGINES = List.of(DEFAULT_ENGINES.split(","));
    static final List<Slo> SLOS = List.of(new Slo(100, 10_000), new Slo(200, 10_000));
    /** The search's target resolution: the true threshold is below answer x this (a 2% difference is told apart). */
    static final double RESOLUTION = 1.02;

    /**
     * A workload of the grid: its spec (count and rate are added) and the rate range searched, wide enough for every
     * GPU of the grid (an engine sustaining the top of the range is reported as "at least" it).
     */
    record Workload(String name, String spec, double minRate, double maxRate, String description) {}

    static final List<Workload> WORKLOADS = List.of(
            new Workload("chat", "chat", 0.02, 50, "Azure conversation lengths (mean 1155 / 211)"),
            new Workload("long-output", "long-output", 0.005, 20, "prompt 900-1100, output 1024-2048"),
            new Workload("cot", "cot:cap=2048", 0.005, 20, "chain-of-thought lengths, outputs capped at 2048"),
            new Workload("osc", "trace:neo_osc", 0.05, 200, "NEO's OSC lengths (its Fig. 6c workload)"),
            new Workload("synth-decode", "synthetic:input=256,output=1024", 0.005, 20, "256 in, 1024 out (the compare default)"),
            new Workload("synth-neo", "synthetic:input=1000,output=300,spread=0.1", 0.02, 50,
                    "NEO's A10G grid point: 1000 +/- 10% in, 300 +/- 10% out"),
            new Workload("trace-code", "trace:splitwise_code", 0.02, 50, "the Azure code trace's lengths, Poisson arrivals"));

    /** An SLO pair: p99 TPOT and p99 TTFT at most these. */
    record Slo(double tpotMs, double ttftMs) {
        /** {@code TPOT_MS:TTFT_MS}, as --slos takes it. */
        static Slo parse(String text) {
            String[] p = text.strip().split(":");
            if (p.length != 2) throw new IllegalArgumentException("--slos: expected TPOT_MS:TTFT_MS (e.g. 100:10000), got '" + text + "'");
            double tpot = ms(p[0], text), ttft = ms(p[1], text);
            return new Slo(tpot, ttft);
        }

        private static double ms(String v, String text) {
            double d;
            try {
                d = Double.parseDouble(v.strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--slos: '" + text + "': '" + v.strip() + "' is not a number of milliseconds", e);
            }
            if (!(d > 0) || !Double.isFinite(d)) throw new IllegalArgumentException("--slos: '" + text + "': milliseconds must be finite and > 0");
            return d;
        }
    }

    /**
     * What to run: the grid's axes (already checked), the seed, the number of parallel tasks, and each probe's request
     * count ({@link #requestsAt}): at least {@code requests}, enough for arrivals spanning {@code minSpanSec} at the
     * probe's rate, at most {@code maxRequests}; each probe runs {@code draws} independent draws (seeds seed ..
     * seed + draws - 1), judged together by {@code rule} ({@link Draws}).
     */
    record Grid(List<String> gpus, List<String> models, List<Workload> workloads, List<Slo> slos, List<String> engines,
                int requests, long seed, int jobs, double minSpanSec, int maxRequests, int checkAbove, int draws, Draws.Rule rule) {
        Grid {
            if (draws < 1) throw new IllegalArgumentException("--draws must be >= 1, got " + draws);
            if (checkAbove < 0) throw new IllegalArgumentException("--check-above must be >= 0, got " + checkAbove);
            if (maxRequests < requests) throw new IllegalArgumentException("--max-requests (" + maxRequests
                    + ") must be at least --requests (" + requests + ")");
            if (!(minSpanSec >= 0) || Double.isInfinite(minSpanSec)) {
                throw new IllegalArgumentException("--min-span-s must be a finite number of seconds >= 0, got " + minSpanSec);
            }
        }

        /**
         * Requests of a probe at {@code rate}: max(requests, rate x minSpanSec), at most maxRequests; at the rate a
         * steady load of that many requests arrives over at least the minimum span (a steady load, not a burst).
         */
        int requestsAt(double rate) {
            return (int) Math.min(maxRequests, Math.max(requests, Math.ceil(rate * minSpanSec - 1e-9)));
        }

        /** The grid `apex reproduce capacity` runs with the command's defaults but for the seed and the draws. */
        static Grid defaults(long seed, int draws) {
            return new Grid(GPUS, MODELS, WORKLOADS, SLOS, ENGINES, ReproduceCommand.CAPACITY_REQUESTS, seed, 1,
                    ReproduceCommand.CAPACITY_MIN_SPAN_S, ReproduceCommand.CAPACITY_MAX_REQUESTS,
                    ReproduceCommand.CAPACITY_CHECK_ABOVE, draws, Draws.Rule.POOLED);
        }
    }

    /** The matrix: every row in grid order, the (hardware, model) pairs left out, and every probe (task order, then rate). */
    record Result(List<CapacityReport.Row> rows, List<CapacityReport.Skipped> skipped, List<CapacityProbes.Probe> probes) {}

    /** One task's rows and probes. */
    private record Searched(List<CapacityReport.Row> rows, List<CapacityProbes.Probe> probes) {}

    /** The workload named {@code name}; unknown names are refused listing the known ones. */
    static Workload workload(String name) {
        for (Workload w : WORKLOADS) if (w.name().equals(name.strip())) return w;
        throw new IllegalArgumentException("--workloads: unknown workload '" + name.strip() + "'; known: "
                + WORKLOADS.stream().map(Workload::name).toList());
    }

    static void checkGpu(String id) {
        if (!HardwareSpecs.ids().contains(id)) {
            throw new IllegalArgumentException("--gpus: unknown hardware '" + id + "'; built-in: " + HardwareSpecs.ids());
        }
    }

    static void checkModel(String name) {
        if (!ModelPresets.names().contains(name)) {
            throw new IllegalArgumentException("--models: unknown model '" + name + "'; presets: " + ModelPresets.names());
        }
    }

    /** Refuses an engine the registry does not know, or the openai engine (a matrix is simulated). */
    static boolean isApex(String engine) {
        EngineChoice c = EngineChoice.parse(engine, Map.of());
        if (c.engineId().equals(org.apexbench.serving.client.OpenAiEngine.ID)) {
            throw new IllegalArgumentException("--engines: " + engine + " is a running server; the capacity matrix is simulated");
        }
        EngineRuns.create(c.engineId(), new org.apexbench.engine.EngineOptions(c.options()));
        return c.engineId().equals("apex");
    }

    /** Why {@code model} cannot run on {@code hw} with the grid's budgets, or null when it fits. */
    static String misfit(String hw, String model) {
        RunOptions o = options(hw, model, "synthetic", 0);
        try {
            HardwareSpec spec = HardwareSpecs.builtIn(hw);
            ModelGeometry m = ModelPresets.geometry(model);
            EngineRunner.budgets(o, m, spec, EngineRunner.gpuPool(o, m, spec));
            return null;
        } catch (IllegalArgumentException e) {
            String why = e.getMessage();   // the memory arithmetic, without advice on options this command does not take
            int advice = why.indexOf(". Raise --gpu-memory-utilization");
            return advice < 0 ? why : why.substring(0, advice);
        }
    }

    /** The run options of one probe: sim, the default budgets (vLLM's rule for the GPU pool, half the host for the host's). */
    static RunOptions options(String hw, String model, String requests, long seed) {
        RunOptions o = new RunOptions();
        o.backend = "sim";
        o.hardware = hw;
        o.model = model;
        o.maxRunning = 512;
        o.maxTokens = 2048;
        o.requests = requests;
        o.seed = seed;
        return o;
    }

    private final Grid grid;
    private final ProgressReporter progress;
    private int done, total;

    /** @param err where progress goes (null: quiet) */
    CapacityMatrix(Grid grid, PrintWriter err) {
        this.grid = grid;
        this.progress = err == null ? null : new ProgressReporter(err, "reproduce capacity", "searches", 1.0);
    }

    Result run() {
        List<CapacityReport.Skipped> skipped = new ArrayList<>();
        List<String[]> pairs = new ArrayList<>();
        for (String hw : grid.gpus()) {
            for (String model : grid.models()) {
                String why = misfit(hw, model);
                if (why == null) pairs.add(new String[] {hw, model});
                else skipped.add(new CapacityReport.Skipped(hw, model, why));
            }
        }
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("no model of --models fits a GPU of --gpus: " + skipped.stream()
                    .map(s -> s.hardware() + " + " + s.model() + ": " + s.reason()).toList());
        }
        for (CapacityReport.Skipped s : skipped) println("skipped " + s.hardware() + " + " + s.model() + ": " + s.reason());
        total = pairs.size() * grid.workloads().size() * grid.engines().size() * grid.slos().size();
        ExecutorService pool = Executors.newFixedThreadPool(grid.jobs(), r -> {
            Thread t = new Thread(r, "capacity");
            t.setDaemon(true);
            return t;
        });
        List<Future<Searched>> tasks = new ArrayList<>();
        try {
            // every cell's common requests first, one set per draw: a workload too short for the comparison is refused
            // before any run
            Map<String, List<CommonRequests>> common = new HashMap<>();
            for (String[] p : pairs) {
                for (Workload w : grid.workloads()) {
                    List<CommonRequests> perDraw = new ArrayList<>();
                    for (int k = 0; k < grid.draws(); k++) perDraw.add(commonRequests(p[0], p[1], w, k));
                    common.put(p[0] + "|" + p[1] + "|" + w.name(), List.copyOf(perDraw));
                }
            }
            for (String[] p : pairs) {
                for (Workload w : grid.workloads()) {
                    List<CommonRequests> c = common.get(p[0] + "|" + p[1] + "|" + w.name());
                    for (String e : grid.engines()) tasks.add(pool.submit(() -> searches(p[0], p[1], w, e, c)));
                }
            }
            List<CapacityReport.Row> rows = new ArrayList<>();
            List<CapacityProbes.Probe> probes = new ArrayList<>();
            for (Future<Searched> f : tasks) {
                rows.addAll(f.get().rows());
                probes.addAll(f.get().probes());
            }
            return new Result(sorted(rows), skipped, probes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Rows in grid order: hardware, model, workload, SLO pair, then engine, each in the order given. */
    private List<CapacityReport.Row> sorted(List<CapacityReport.Row> rows) {
        List<CapacityReport.Row> out = new ArrayList<>(rows);
        java.util.Comparator<CapacityReport.Row> order = java.util.Comparator
                .<CapacityReport.Row>comparingInt(r -> grid.gpus().indexOf(r.cell().hardware()))
                .thenComparingInt(r -> grid.models().indexOf(r.cell().model()))
                .thenComparingInt(r -> grid.workloads().stream().map(Workload::name).toList().indexOf(r.cell().workload()))
                .thenComparingInt(r -> grid.slos().indexOf(new Slo(r.cell().sloTpotMs(), r.cell().sloTtftMs())))
                .thenComparingInt(r -> grid.engines().indexOf(r.engine()));
        out.sort(order);
        return out;
    }

    /** The workload's spec with {@code count} requests (a trace's first {@code count} rows) at {@code rate}. */
    static String spec(Workload w, int count, double rate) {
        String spec = w.spec() + (w.spec().contains(":") ? "," : ":") + (w.spec().startsWith("trace") ? "limit=" : "count=") + count;
        return SweepCommand.withRate(spec, rate);
    }

    /**
     * The requests every engine of the cell can serve (the verdict's workload), drawn from the workload at draw
     * {@code k}'s seed, as many as the cell's largest probe needs: the matrix has them before any run.
     */
    CommonRequests commonRequests(String hw, String model, Workload w, int k) {
        long seed = grid.seed() + k;
        EngineRunner.Setup setup = EngineRunner.prepare(options(hw, model, spec(w, grid.requests(), w.minRate()), seed), null);
        Map<String, java.util.function.Function<RequestSpec, String>> rejection = new java.util.LinkedHashMap<>();
        for (String e : grid.engines()) rejection.put(e, setup.rejection(e));
        String what = hw + " + " + model + ", workload " + w.name() + (seed == grid.seed() ? "" : ", seed " + seed);
        CommonRequests c = new CommonRequests(what, grid.requests(), rejection,
                m -> m == grid.requests() ? setup.workload().requests() : draw(hw, model, w, seed).apply(m));
        c.drawnFor(grid.requestsAt(w.maxRate()), draw(hw, model, w, seed));
        return c;
    }

    /**
     * What a probe of the cell at {@code rate} runs for draw {@code k} (seed + k), {@code common} being that draw's
     * {@link #commonRequests}: the first {@link Grid#requestsAt} requests every engine of the cell can serve, drawn at
     * {@code rate}; with {@code slo} (APEX) the run's SLOs are that pair, which the engine schedules to.
     */
    EngineRunner.Setup probeSetup(String hw, String model, Workload w, double rate, int k, CommonRequests common, Slo slo) {
        int n = grid.requestsAt(rate);
        long seed = grid.seed() + k;
        RunOptions o = options(hw, model, spec(w, common.drawnFor(n, draw(hw, model, w, seed)), rate), seed);
        if (slo != null) {
            o.sloTpotMs = slo.tpotMs();
            o.sloTtftMs = slo.ttftMs();
        }
        EngineRunner.Setup setup = EngineRunner.prepare(o, null);
        return setup.withRequests(common.select(n, setup.workload().requests()), setup.workload().description()
                + ", the first " + n + " every engine of the cell can serve");
    }

    /** The workload's first m requests (a trace's first m rows) at its lowest rate and {@code seed}: what decides which can be served. */
    private java.util.function.Function<Integer, List<RequestSpec>> draw(String hw, String model, Workload w, long seed) {
        return m -> EngineRunner.prepare(options(hw, model, spec(w, m, w.minRate()), seed), null).workload().requests();
    }

    /**
     * Every SLO pair's search for one engine in one cell. APEX schedules to the run's SLOs, so each pair runs it anew
     * with that pair as the run's SLOs; the baselines ignore SLOs, so a rate probed by two of their searches runs once.
     */
    private Searched searches(String hw, String model, Workload w, String engine, List<CommonRequests> common) {
        Map<Double, Draws> runs = new HashMap<>();
        int steps = MaxRateSearch.stepsFor(w.minRate(), w.maxRate(), RESOLUTION);
        double resolution = MaxRateSearch.resolution(w.minRate(), w.maxRate(), steps);
        boolean apex = isApex(engine);
        List<CapacityReport.Row> rows = new ArrayList<>();
        List<CapacityProbes.Probe> probes = new ArrayList<>();
        for (Slo slo : grid.slos()) {
            if (apex) runs.clear();
            Slo runSlo = apex ? slo : null;
            // a rate within rounding of one already run (the same grid point reached by another path) is not run again
            java.util.function.DoubleFunction<Draws> run = rate -> runs.computeIfAbsent(known(runs.keySet(), rate),
                    x -> probe(hw, model, w, engine, x, runSlo, common));
            // a probe runs only requests every engine can serve (it fails otherwise): none is rejected
            java.util.function.Predicate<Draws> meets = d -> grid.rule().meets(d, slo.ttftMs(), slo.tpotMs());
            MaxRateSearch.Result<Draws> r = MaxRateSearch.searchHighFirst(w.minRate(), w.maxRate(), steps, run, meets);
            MonotonicityCheck.Check<Draws> check = MonotonicityCheck.check(r, w.minRate(), w.maxRate(), steps,
                    grid.checkAbove(), run, meets);
            // without an answer, the counts are those at the lowest rate (why nothing met)
            double rate = r.best() != null ? r.rate() : w.minRate();
            Draws d = run.apply(rate);
            Summary s = d.pooled();
            int rejected = 0, removed = 0;
            for (CommonRequests c : common) {
                rejected += c.rejected(engine);
                removed += c.removed(grid.requests());
            }
            CapacityReport.Cell cell = new CapacityReport.Cell(hw, model, w.name(), slo.tpotMs(), slo.ttftMs());
            rows.add(new CapacityReport.Row(cell, engine, apex, w.minRate(), w.maxRate(), resolution, r.rate(),
                    r.rate() != null && r.rate() == w.maxRate(), s.ttft().p99Ms(), s.tpot().p99Ms(), s.completed(), s.failed(),
                    rejected, removed, d.size() * grid.requestsAt(rate), d.peakConcurrent(),
                    check.probes().size(), check.above(), check.passesAbove(), check.highestMet(), d.size(),
                    d.met(slo.ttftMs(), slo.tpotMs())));
            for (MonotonicityCheck.Probe<Draws> p : check.probes()) {
                Draws pd = p.result();
                Summary ps = pd.pooled();
                probes.add(new CapacityProbes.Probe(cell, engine, p.rate(), p.search(), p.met(), ps.ttft().p99Ms(), ps.tpot().p99Ms(),
                        ps.completed(), ps.failed(), pd.size() * grid.requestsAt(p.rate()), pd.peakConcurrent(), pd.size(),
                        pd.met(slo.ttftMs(), slo.tpotMs()), pd.each().stream().map(e -> e.ttft().p99Ms()).toList(),
                        pd.each().stream().map(e -> e.tpot().p99Ms()).toList()));
            }
            searched(cell, engine, r.rate(), r.rate() != null && r.rate() == w.maxRate());
        }
        return new Searched(rows, probes);
    }

    /** {@code rate}, or a rate already run within rounding of it (1e-9 relative). */
    private static double known(java.util.Set<Double> ran, double rate) {
        for (double k : ran) if (Math.abs(k - rate) <= 1e-9 * rate) return k;
        return rate;
    }

    /** The runs at {@code rate}, one per draw ({@link #probeSetup}); with {@code slo} (APEX) the runs' SLOs are that pair. */
    private Draws probe(String hw, String model, Workload w, String engine, double rate, Slo slo, List<CommonRequests> common) {
        List<Summary> summaries = new ArrayList<>();
        List<List<org.apexbench.profiler.RequestRecord>> records = new ArrayList<>();
        for (int k = 0; k < common.size(); k++) {
            long seed = grid.seed() + k;
            EngineRunner.Setup setup = probeSetup(hw, model, w, rate, k, common.get(k), slo);
            EngineRunner.Outcome out = EngineRunner.run(setup, engine, null, false);
            int rejected = Rejections.of(out.report().records().requests()).size();
            if (rejected > 0) throw new IllegalStateException(engine + " rejected " + rejected + " of the requests every engine of "
                    + hw + " + " + model + ", " + w.name() + (k == 0 ? "" : " (seed " + seed + ")") + " was found to serve");
            summaries.add(out.report().summary());
            records.add(out.report().records().requests());
        }
        return Draws.pool(summaries, records);
    }

    private synchronized void searched(CapacityReport.Cell cell, String engine, Double rate, boolean saturated) {
        done++;
        if (progress == null) return;
        progress.println(String.format(Locale.ROOT, "%s %s: %s", cell.key(), engine,
                rate == null ? "none meets the SLOs" : (saturated ? ">= " : "") + String.format(Locale.ROOT, "%.4g req/s", rate)));
        progress.update(done, total);
    }

    private synchronized void println(String line) {
        if (progress != null) progress.println(line);
    }
}
