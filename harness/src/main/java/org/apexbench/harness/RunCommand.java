package org.apexbench.harness;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apexbench.reports.HtmlReport;
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
                "Engines: gpu-only, static-hybrid[:neo|fastdecode|offload], apex (those on the class path), and",
                "openai[url=http://HOST:PORT,model=NAME]: a running OpenAI-compatible server (docs/serving.md)."})
final class RunCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--engine", required = true, paramLabel = "ENGINE", description = "Engine to run.")
    String engine;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (created).")
    Path out;

    @Mixin RunOptions options;

    @Override
    public Integer call() {
        var err = spec.commandLine().getErr();
        options.checkSaveTokens();
        if (options.saveTokens && EngineChoice.parse(engine, java.util.Map.of()).engineId().equals("openai")) {
            throw new IllegalArgumentException("--save-tokens: engine openai measures a server from outside and keeps no token ids");
        }
        EngineRunner.Setup setup = EngineRunner.prepare(options, null);
        EngineRunner.Outcome o = EngineRunner.run(setup, engine, options.quiet ? null : err);
        RunDirectory.writeRun(out, o.report(), options.allSubtasks);
        if (options.saveTokens) EngineRunner.writeTokens(out.resolve("tokens.jsonl"), o.tokens());
        Outputs.writeEnvironment(out, setup, o.device());
        spec.commandLine().getOut().println("wrote " + out.resolve(HtmlReport.FILE));
        return 0;
    }
}
