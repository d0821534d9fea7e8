package org.apexbench.harness;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "regress", mixinStandardHelpOptions = true,
        description = {"Compare a run's summary metrics with a committed baseline.",
                "Exit 0 when every checked metric is within tolerance, 1 with a readable diff when one moved.",
                "A metric moved when |run - baseline| / |baseline| exceeds its tolerance, in either direction.",
                "Checked by default: completed, failed, total_output_tokens (0%%); request_throughput,",
                "output_throughput, mean/p99 TTFT, mean/p99 TPOT, mean ITL, mean/p99 E2EL, preemptions, swap_in_bytes,",
                "swap_out_bytes, gpu_stall_ms, predictor_mape_pct, iterations (2%%); cpu_decode_fraction and every",
                "strategy_fraction_* (the strategy mix; 1 percentage point: fractions move in points, not percent).",
                "A key ending in * names every metric with that prefix (absent on one side = 0)."})
final class RegressCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--baseline", required = true, paramLabel = "FILE_OR_DIR",
            description = "A summary.json, a run folder, or a folder of engine folders each with summary.json.")
    Path baseline;

    @Option(names = "--run", required = true, paramLabel = "DIR", description = "The run to check, same layout as the baseline.")
    Path run;

    @Option(names = "--tolerance", paramLabel = "KEY=PCT[,KEY=PCT...]",
            description = "Tolerances in percent (points for fractions); override the defaults or add any summary.json metric.")
    String tolerance;

    @Override
    public Integer call() {
        List<Regression.Check> checks = Regression.compare(baseline, run, Regression.parseTolerances(tolerance));
        long moved = checks.stream().filter(c -> !c.passed()).count();
        var out = spec.commandLine().getOut();
        out.print(Regression.table(checks));
        out.println(moved == 0 ? "regress: OK, " + checks.size() + " metrics within tolerance"
                : "regress: FAILED, " + moved + " of " + checks.size() + " metrics moved beyond tolerance");
        out.flush();
        return moved == 0 ? 0 : 1;
    }
}
