package org.apexbench.harness;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.sim.SimSetup;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.profiler.table.Profile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "profile", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure the engine's subtask times into profile tables that schedulers predict from.",
                "Sweeps linear vs width; GPU and CPU decode attention vs requests and context; prefill attention",
                "vs length; PCIe copies vs bytes, and writes the tables tagged",
                "with a fingerprint of the setup (a run refuses a profile whose fingerprint differs).",
                "sim: the sweep runs over the hardware spec's simulated subtask times, exactly as `apex run` does",
                "when no --profile is given; pass the file to `apex run --profile FILE` to reuse it."})
final class ProfileCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--backend", defaultValue = "sim", paramLabel = "sim|cpu|cuda", description = "Default ${DEFAULT-VALUE}.")
    String backend;

    @Option(names = "--model", defaultValue = RunOptions.DEFAULT_MODEL, paramLabel = "PRESET", description = "Default ${DEFAULT-VALUE}.")
    String model;

    @Option(names = "--hardware", defaultValue = RunOptions.DEFAULT_HARDWARE, paramLabel = "SPEC",
            description = "Hardware spec id or JSON file (default ${DEFAULT-VALUE}); built-in: ${COMPLETION-CANDIDATES}",
            completionCandidates = RunOptions.HardwareIds.class)
    String hardware;

    @Option(names = "--gpu-memory", paramLabel = "GB", description = "GPU memory cap (sets the KV ranges swept).")
    Double gpuMemoryGb;

    @Option(names = "--max-running", defaultValue = "512", paramLabel = "N", description = "Largest batch swept.")
    int maxRunning;

    @Option(names = "--max-tokens", defaultValue = "2048", paramLabel = "N", description = "Widest linear swept.")
    int maxTokens;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Profile file to write (JSON).")
    Path out;

    @Override
    public Integer call() {
        if (!backend.equals("sim")) {
            throw new IllegalArgumentException("--backend " + backend + ": profiling a real backend from the command line "
                    + "is not available in this build; use --backend sim");
        }
        ModelGeometry m = ModelGeometry.preset(model);
        HardwareSpec hw = EngineRunner.hardware(hardware);
        long cap = gpuMemoryGb == null ? 0 : (long) (gpuMemoryGb * 1e9);
        EngineBudgets b = SimSetup.budgets(m, hw, cap, SimSetup.DEFAULT_RESERVE_FRACTION, -1, maxRunning, maxTokens);
        Profile p = SimSetup.profile(hw, m, b);
        p.save(out);
        spec.commandLine().getOut().println("wrote " + out + " (" + p.tables().size() + " tables, fingerprint "
                + p.fingerprint() + ")");
        return 0;
    }
}
