package org.apexbench.harness;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apexbench.reports.HtmlReport;
import org.apexbench.reports.Manifest;
import org.apexbench.reports.ResultFolder;
import org.apexbench.reports.ReportedRun;
import org.apexbench.reports.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "compare", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run several engines on the same workload with the same memory budget, side by side.",
                "Writes DIR/<engine>/ (each a run folder, see `apex run --help`), DIR/comparison.csv (one row per",
                "engine), DIR/report.html (all engines in one self-contained report) and DIR/manifest.json (what ran,",
                "every file's size and SHA-256). The folder appears only when every engine has run and every file is written.",
                "With no arguments: the built-in default, sim on " + RunOptions.DEFAULT_HARDWARE + " with "
                        + RunOptions.DEFAULT_MODEL + ", the decode-heavy workload",
                "  " + CompareCommand.DEFAULT_WORKLOAD + ",",
                "engines " + CompareCommand.DEFAULT_ENGINES + ", written to runs/default/."})
final class CompareCommand implements Callable<Integer> {
    static final String DEFAULT_ENGINES = "gpu-only,static-hybrid:neo,apex";
    static final String DEFAULT_WORKLOAD = "mixed:sharegpt=0.5,long-output=0.5;count=80,rate=0.05";

    @Spec CommandSpec spec;

    @Option(names = "--engines", defaultValue = DEFAULT_ENGINES, split = EngineChoice.LIST_SPLIT, paramLabel = "E1,E2,...",
            description = {"Engines to compare (default ${DEFAULT-VALUE}). An engine may carry its own options, which "
                    + "extend --engine-option for it alone: apex,apex[recalibrate=true,marginPct=5]."})
    List<String> engines;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder, written whole or not at all; an existing "
            + "non-empty one is refused (see --force). Default: runs/default under the repository root, replaced by each "
            + "comparison that writes there.")
    Path out;

    @Option(names = "--force", description = "Replace a --out that holds earlier results, whole (never merged).")
    boolean force;

    @Mixin RunOptions options;

    @Override
    public Integer call() {
        if (new LinkedHashSet<>(engines).size() != engines.size()) {
            throw new IllegalArgumentException("--engines lists an engine twice: " + engines);
        }
        java.util.Map<String, String> folders = new java.util.HashMap<>();
        for (String e : engines) {
            String other = folders.putIfAbsent(ReportedRun.slug(e), e);
            if (other != null) {
                throw new IllegalArgumentException("--engines: " + other + " and " + e + " would share the folder "
                        + ReportedRun.slug(e) + "; name them apart");
            }
        }
        boolean defaultFolder = out == null;
        Path dir = defaultFolder ? ApexCli.root().resolve("runs").resolve("default") : out;
        CommandProgress progress = options.quiet ? null : new CommandProgress(spec.commandLine().getErr(), "compare", 0);
        List<ReportedRun> runs = new ArrayList<>();
        try (ResultFolder folder = ResultFolder.create(dir, defaultFolder ? "the default folder" : "--out",
                force || defaultFolder ? ResultFolder.Existing.REPLACE : ResultFolder.Existing.REFUSE)) {
            options.checkSaveTokens();
            EngineRunner.Setup setup = EngineRunner.prepare(options, DEFAULT_WORKLOAD);
            if (progress != null) {
                progress.replan(CommandProgress.units(engines.size(), setup.workload().requests().size(), EngineRunner.passes(setup, true)));
            }
            java.util.Map<String, java.util.Map<String, int[]>> tokens = new java.util.LinkedHashMap<>();
            String device = null;
            for (String e : engines) {
                EngineRunner.Outcome o = EngineRunner.run(setup, e, progress, true);
                runs.add(o.report());
                if (device == null) device = o.device();
                if (o.tokens() != null) tokens.put(o.report().slug(), o.tokens());
            }
            Path staging = folder.staging();
            RunDirectory.writeComparison(staging, HtmlReport.title(runs), runs, options.allSubtasks);
            if (options.saveTokens) tokens.forEach((slug, t) -> EngineRunner.writeTokens(staging.resolve(slug).resolve("tokens.jsonl"), t));
            Outputs.writeEnvironment(staging, setup, device);
            folder.commit("comparison", Outputs.arguments(spec),
                    runs.stream().map(r -> new Manifest.Engine(r.label(), r.slug(), r.runSpec())).toList());
        }
        if (progress != null) progress.finish(engines.size() + " engines, results written");
        var outw = spec.commandLine().getOut();
        for (ReportedRun r : runs) {
            outw.printf(Locale.ROOT, "%-26s %9.1f output tok/s   p99 TTFT %9.1f ms   p99 TPOT %8.2f ms%n", r.label(),
                    r.summary().outputThroughput(), r.summary().ttft().p99Ms(), r.summary().tpot().p99Ms());
        }
        outw.println("wrote " + dir.resolve(HtmlReport.FILE));
        return 0;
    }
}
