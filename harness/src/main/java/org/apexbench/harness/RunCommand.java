package org.apexbench.harness;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apexbench.reports.HtmlReport;
import org.apexbench.reports.Manifest;
import org.apexbench.reports.ResultFolder;
import org.apexbench.reports.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run one engine on a workload and write its records and report.",
                "  DIR/requests.csv    one row per request (arrival, lengths, TTFT/TPOT/E2EL, token times)",
                "  DIR/iterations.csv  one row per iteration (strategy, rows, busy/stall times, PCIe bytes, KV use, prediction)",
                "  DIR/subtasks.csv    subtasks of the report's timeline window (all with --all-subtasks)",
                "  DIR/summary.json    metrics under vLLM's key names plus ours, and the run spec (deterministic)",
                "  DIR/vllm-result.json the run as vLLM's bench serve --save-result --save-detailed writes it (varies in date)",
                "  DIR/environment.json machine, JDK, JVM flags, git commit, time (varies between runs)",
                "  DIR/report.html     self-contained report with charts",
                "  DIR/tokens.jsonl    generated token ids per request (--save-tokens, cpu backend)",
                "  DIR/manifest.json   what ran (arguments, engine, run spec) and every file's size and SHA-256; written last",
                "The folder appears only when complete (it is written beside, then moved into place).",
                "Engines: gpu-only, static-hybrid[:neo|fastdecode|offload], apex (those on the class path), and",
                "openai[url=http://HOST:PORT,model=NAME]: a running OpenAI-compatible server (docs/serving.md)."})
final class RunCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--engine", required = true, paramLabel = "ENGINE", description = "Engine to run.")
    String engine;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder: created, written "
            + "whole or not at all; an existing non-empty one is refused (see --force).")
    Path out;

    @Option(names = "--force", description = "Replace a --out that holds earlier results, whole (never merged).")
    boolean force;

    @Mixin RunOptions options;

    @Override
    public Integer call() {
        CommandProgress progress = options.quiet ? null : new CommandProgress(spec.commandLine().getErr(), "run", 0);
        try (ResultFolder folder = Outputs.open(out, force)) {
            options.checkSaveTokens();
            if (options.saveTokens && EngineChoice.parse(engine, java.util.Map.of()).engineId().equals("openai")) {
                throw new IllegalArgumentException("--save-tokens: engine openai measures a server from outside and keeps no token ids");
            }
            EngineRunner.Setup setup = EngineRunner.prepare(options, null);
            if (progress != null) {
                progress.replan(CommandProgress.units(1, setup.workload().requests().size(), EngineRunner.passes(setup, true)));
            }
            EngineRunner.Outcome o = EngineRunner.run(setup, engine, progress, true);
            Path dir = folder.staging();
            RunDirectory.writeRun(dir, o.report(), options.allSubtasks);
            if (options.saveTokens) EngineRunner.writeTokens(dir.resolve("tokens.jsonl"), o.tokens());
            Outputs.writeEnvironment(dir, setup, o.device());
            folder.commit("run", Outputs.arguments(spec), List.of(new Manifest.Engine(o.report().label(), ".", o.report().runSpec())));
        }
        if (progress != null) progress.finish(engine + ", results written");
        spec.commandLine().getOut().println("wrote " + out.resolve(HtmlReport.FILE));
        return 0;
    }
}
