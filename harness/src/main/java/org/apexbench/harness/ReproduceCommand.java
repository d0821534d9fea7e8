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
        description = {"Reproduce a published experiment grid in sim. Experiments: paper (APEX, arXiv 2506.03296):",
                "{t4-g4dn.4xlarge + llama-2-7b, a10g-g5.8xlarge + llama-3.1-8b} x {chat, long-output, cot} x",
                "{gpu-only, static-hybrid:neo, static-hybrid:fastdecode, apex}; all requests arrive at once (offline",
                "throughput). Writes DIR/paper.md and DIR/paper.csv (throughput, latency, APEX's gains beside the",
                "paper's) and one comparison folder per setup and workload."})
final class ReproduceCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "EXPERIMENT", description = "paper")
    String experiment;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--count", defaultValue = "64", paramLabel = "N",
            description = "Requests per workload cell (default ${DEFAULT-VALUE}: a few minutes on 2 cores).")
    int count;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Workload seed.")
    long seed;

    @Option(names = "--engines", defaultValue = "gpu-only,static-hybrid:neo,static-hybrid:fastdecode,apex", split = ",",
            paramLabel = "E1,E2,...", description = "Engines (default ${DEFAULT-VALUE}).")
    List<String> engines;

    @Option(names = "--quiet", description = "No progress lines on stderr.")
    boolean quiet;

    record Setup(String hardware, String model, String gpu) {}

    static final List<Setup> SETUPS = List.of(new Setup("t4-g4dn.4xlarge", "llama-2-7b", "T4"),
            new Setup("a10g-g5.8xlarge", "llama-3.1-8b", "A10"));
    static final List<String> WORKLOADS = List.of("chat", "long-output", "cot");

    @Override
    public Integer call() {
        if (!experiment.equals("paper")) {
            throw new IllegalArgumentException("unknown experiment '" + experiment + "'; known: paper");
        }
        if (count < 1) throw new IllegalArgumentException("--count must be >= 1, got " + count);
        var err = quiet ? null : spec.commandLine().getErr();
        List<PaperReport.Cell> cells = new ArrayList<>();
        for (Setup s : SETUPS) {
            for (String w : WORKLOADS) {
                RunOptions o = new RunOptions();
                o.backend = "sim";
                o.model = s.model();
                o.hardware = s.hardware();
                o.maxRunning = 512;
                o.maxTokens = 2048;
                o.seed = seed;
                o.requests = w + ":count=" + count;
                EngineRunner.Setup setup = EngineRunner.prepare(o, null);
                List<org.apexbench.reports.ReportedRun> runs = new ArrayList<>();
                for (String e : engines) {
                    var r = EngineRunner.run(setup, e, err).report();
                    runs.add(r);
                    cells.add(new PaperReport.Cell(s.hardware() + " + " + s.model(), s.gpu(), w, e, r.summary()));
                }
                Path dir = out.resolve(s.hardware() + "_" + s.model() + "_" + w);
                RunDirectory.writeComparison(dir, String.format(Locale.ROOT, "%s on %s + %s", w, s.hardware(), s.model()),
                        runs, false);
            }
        }
        PaperReport.write(out, cells, String.format(Locale.ROOT, "Simulated (`apex reproduce paper --count %d --seed %d`): "
                + "%d requests per cell, all arriving at t=0 (offline throughput), default budgets from each GPU's memory "
                + "(10%% reserve) and half the host memory for the host KV pool. The paper's A10 host size is not stated; "
                + "we use g5.8xlarge.", count, seed, count));
        spec.commandLine().getOut().println("wrote " + out.resolve("paper.md") + " and " + out.resolve("paper.csv"));
        return 0;
    }
}
