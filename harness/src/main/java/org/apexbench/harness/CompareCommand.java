package org.apexbench.harness;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apexbench.reports.HtmlReport;
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
                "engine) and DIR/report.html (all engines in one self-contained report).",
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

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: runs/default under the repository root).")
    Path out;

    @Mixin RunOptions options;

    @Override
    public Integer call() {
        if (new LinkedHashSet<>(engines).size() != engines.size()) {
            throw new IllegalArgumentException("--engines lists an engine twice: " + engines);
        }
        Path dir = out != null ? out : ApexCli.root().resolve("runs").resolve("default");
        var err = spec.commandLine().getErr();
        options.checkSaveTokens();
        EngineRunner.Setup setup = EngineRunner.prepare(options, DEFAULT_WORKLOAD);
        List<ReportedRun> runs = new ArrayList<>();
        java.util.Map<String, java.util.Map<String, int[]>> tokens = new java.util.LinkedHashMap<>();
        String device = null;
        for (String e : engines) {
            EngineRunner.Outcome o = EngineRunner.run(setup, e, options.quiet ? null : err);
            runs.add(o.report());
            if (device == null) device = o.device();
            if (o.tokens() != null) tokens.put(o.report().slug(), o.tokens());
        }
        RunDirectory.writeComparison(dir, HtmlReport.title(runs), runs, options.allSubtasks);
        if (options.saveTokens) tokens.forEach((slug, t) -> EngineRunner.writeTokens(dir.resolve(slug).resolve("tokens.jsonl"), t));
        Outputs.writeEnvironment(dir, setup, device);
        var outw = spec.commandLine().getOut();
        for (ReportedRun r : runs) {
            outw.printf(Locale.ROOT, "%-26s %9.1f output tok/s   p99 TTFT %9.1f ms   p99 TPOT %8.2f ms%n", r.label(),
                    r.summary().outputThroughput(), r.summary().ttft().p99Ms(), r.summary().tpot().p99Ms());
        }
        outw.println("wrote " + dir.resolve(HtmlReport.FILE));
        return 0;
    }
}
