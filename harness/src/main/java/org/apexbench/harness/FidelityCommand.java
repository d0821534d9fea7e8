package org.apexbench.harness;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apexbench.profiler.fidelity.Fidelity;
import org.apexbench.reports.FidelityReport;
import org.apexbench.reports.ResultFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "fidelity", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compare the simulator's GPU cost model with measured operator profiles (Vidur's published A100, H100",
                "and A40 profiles, TP=1, committed with the profiler) on the points its fit did not see: PRE and POST",
                "(linear + elementwise kernels), decode attention and prefill attention, per GPU, model and kernel.",
                "Writes DIR/fidelity.csv (one row per comparison: points, MAPE, target), DIR/fidelity-points.csv",
                "(every held-out point, measured and simulated) and DIR/fidelity.html (the table and a chart per",
                "comparison). Exit status 1 when a held-out MAPE is above its target (PRE/POST 10%%, decode 15%%,",
                "prefill 20%%); docs/fidelity.md explains the data, the splits and the caveats."})
final class FidelityCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder, written whole or not at "
            + "all (with DIR/manifest.json); an existing non-empty one is refused (see --force).")
    Path out;

    @Option(names = "--force", description = "Replace a --out that holds earlier results, whole (never merged).")
    boolean force;

    @Option(names = "--target-pct", paramLabel = "PCT", description = "One MAPE target for every comparison instead of "
            + "the per-op targets (e.g. a stricter CI gate).")
    Double targetPct;

    @Override
    public Integer call() {
        if (targetPct != null && !(targetPct > 0 && targetPct < 1000)) {
            throw new IllegalArgumentException("--target-pct must be a percentage in (0, 1000), got " + targetPct);
        }
        try (ResultFolder folder = Outputs.open(out, force)) {
            List<Fidelity.Comparison> comparisons = Fidelity.all().stream().map(c -> targetPct == null ? c
                    : new Fidelity.Comparison(c.id(), c.op(), c.device(), c.model(), c.kernel(), c.heldOut(), c.spec(), c.xTitle(),
                    targetPct, c.points())).toList();
            FidelityReport.write(folder.staging(), comparisons, "Held-out points of Vidur's operator profiles (microsoft/vidur, "
                    + "MIT) against the simulator's RooflineCostModel on the built-in hardware specs; see docs/fidelity.md.");
            folder.commit("fidelity", Outputs.arguments(spec), List.of());
            var o = spec.commandLine().getOut();
            for (Fidelity.Comparison c : comparisons) o.println(Fidelity.describe(c));
            long above = comparisons.stream().filter(c -> !c.meetsTarget()).count();
            o.println("wrote " + out.resolve(FidelityReport.HTML) + (above > 0
                    ? String.format(Locale.ROOT, " (%d comparison%s ABOVE TARGET)", above, above == 1 ? "" : "s") : ""));
            return above > 0 ? 1 : 0;
        }
    }
}
