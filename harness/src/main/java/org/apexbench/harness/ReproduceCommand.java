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
        description = {"Reproduce a published experiment grid in sim (paper: the APEX paper's grid).",
                "paper = APEX, arXiv 2506.03296:",
                "{t4-g4dn.4xlarge + llama-2-7b, a10g-g5.8xlarge + llama-3.1-8b} x {chat (sharegpt), long-output,",
                "cot (output cap 2048)} x",
                "{gpu-only, static-hybrid:neo, static-hybrid:fastdecode, apex}; all requests arrive at once (offline",
                "throughput). Writes DIR/paper.md and DIR/paper.csv (throughput, latency, APEX's gains beside the",
                "paper's) and one comparison folder per setup and workload. An engine that fails a cell is reported",
                "there (and the exit status is 1); the other cells still run."})
final class ReproduceCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "EXPERIMENT", description = "paper")
    String experiment;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder, written whole or not at "
            + "all (with DIR/manifest.json); an existing non-empty one is refused (see --force).")
    Path out;

    @Option(names = "--force", description = "Replace a --out that holds earlier results, whole (never merged).")
    boolean force;

    @Option(names = "--count", defaultValue = "128", paramLabel = "N",
            description = "Requests per workload cell (default ${DEFAULT-VALUE}: a few minutes on 2 cores).")
    int count;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Workload seed.")
    long seed;

    @Option(names = "--engines", defaultValue = "gpu-only,static-hybrid:neo,static-hybrid:fastdecode,apex", split = EngineChoice.LIST_SPLIT,
            paramLabel = "E1,E2,...", description = "Engines (default ${DEFAULT-VALUE}).")
    List<String> engines;

    @Option(names = "--quiet", description = "No progress lines on stderr.")
    boolean quiet;

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
        if (!experiment.equals("paper")) {
            throw new IllegalArgumentException("unknown experiment '" + experiment + "'; known: paper");
        }
        if (count < 1) throw new IllegalArgumentException("--count must be >= 1, got " + count);
        try (org.apexbench.reports.ResultFolder folder = Outputs.open(out, force)) {
            int status = grid(folder.staging());
            folder.commit("paper", Outputs.arguments(spec), engines.stream().map(e -> new org.apexbench.reports.Manifest.Engine(e,
                    ".", java.util.Map.of())).toList());
            spec.commandLine().getOut().println("wrote " + out.resolve("paper.md") + " and " + out.resolve("paper.csv")
                    + (status != 0 ? " (some engine runs FAILED; see paper.md)" : ""));
            return status;
        }
    }

    /** Every cell of the grid into {@code out}; 1 when an engine failed a cell. */
    private int grid(Path out) {
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
