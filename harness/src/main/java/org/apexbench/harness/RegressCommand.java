package org.apexbench.harness;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "regress", mixinStandardHelpOptions = true,
        description = {"Compare a run's summary metrics with a committed baseline.",
                "Both must be complete result folders (manifest.json present and matching the files). Every engine of",
                "either side must be on the other (matched by label), and each engine's run spec (engine, workload, seed,",
                "hardware, model, budgets, options, SLOs) must equal the baseline's unless --allow-spec-change names the key.",
                "Exit 0 when every checked metric is within tolerance, 1 with a readable diff when one moved.",
                "A metric moved when |run - baseline| / |baseline| exceeds its tolerance, in either direction.",
                "Checked by default: completed, failed, total_output_tokens (0%%); request_throughput,",
                "output_throughput, mean/p99 TTFT, mean/p99 TPOT, mean ITL, mean/p99 E2EL, preemptions, swap_in_bytes,",
                "swap_out_bytes, gpu_stall_ms, predictor_mape_pct, iterations (2%%); cpu_decode_fraction and every",
                "strategy_fraction_* (the strategy mix; 1 percentage point: fractions move in points, not percent).",
                "A key ending in * names every metric with that prefix (absent on one side = 0)."})
final class RegressCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--baseline", required = true, paramLabel = "DIR",
            description = "The baseline: a complete result folder of `apex run` or `apex compare` (manifest.json checked).")
    Path baseline;

    @Option(names = "--run", required = true, paramLabel = "DIR", description = "The run to check, same kind of folder.")
    Path run;

    @Option(names = "--allow-spec-change", split = ",", paramLabel = "KEY[,KEY...]",
            description = "Run spec keys (summary.json's run_spec, and slo_ttft_ms/slo_tpot_ms/slo_e2el_ms) that may differ "
                    + "from the baseline's on purpose, e.g. seed or engine_options. Any other difference is refused.")
    Set<String> allowSpecChange = new java.util.TreeSet<>();

    @Option(names = "--tolerance", paramLabel = "KEY=PCT[,KEY=PCT...]",
            description = "Tolerances in percent (points for fractions); override the defaults or add any summary.json metric.")
    String tolerance;

    @Override
    public Integer call() {
        Regression.Comparison c = Regression.compare(baseline, run, Regression.parseTolerances(tolerance), allowSpecChange);
        List<Regression.Check> checks = c.checks();
        long moved = checks.stream().filter(k -> !k.passed()).count();
        var out = spec.commandLine().getOut();
        for (String d : c.allowedSpecChanges()) out.println("allowed spec change: " + d);
        out.print(Regression.table(checks));
        out.println(moved == 0 ? "regress: OK, " + checks.size() + " metrics within tolerance"
                : "regress: FAILED, " + moved + " of " + checks.size() + " metrics moved beyond tolerance");
        out.flush();
        return moved == 0 ? 0 : 1;
    }
}
