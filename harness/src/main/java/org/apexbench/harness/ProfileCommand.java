package org.apexbench.harness;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.runs.EngineRuns;
import org.apexbench.kernels.DType;
import org.apexbench.model.ModelPresets;
import org.apexbench.model.ModelSource;
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
                "when no --profile is given; pass the file to `apex run --profile FILE` to reuse it.",
                "cpu: times the real model's own subtasks on the cpu backend (device and host backends), after a discarded",
                "warm-up sweep, then the runtime's samples (jitter, host hand-over, contention, per-iteration time, each",
                "device operator's speed inside a calibration run; see docs/validation.md) that let `apex run --backend sim --profile FILE` simulate this machine;",
                "cuda: the same subtasks on the GPU (GPU-event times) with CPU attention on this host's cpu backend;",
                "--model may be a checkpoint folder or a preset (synthetic fp16 weights: keep to small presets)."})
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

    @Option(names = "--gpu-kv-blocks", defaultValue = "64", paramLabel = "N",
            description = "cpu: GPU-role KV pool blocks (sets the decode-attention context range swept; default ${DEFAULT-VALUE}).")
    int gpuKvBlocks;

    @Option(names = "--host-kv-blocks", defaultValue = "256", paramLabel = "N",
            description = "cpu: host KV pool blocks (sets the CPU-attention context range swept; default ${DEFAULT-VALUE}).")
    int hostKvBlocks;

    @Option(names = "--threads", defaultValue = RunOptions.DEFAULT_THREADS, paramLabel = "N",
            description = "cpu: worker threads of each backend (0 = all processors; default ${DEFAULT-VALUE}, as `apex run`).")
    int threads;

    @Option(names = "--kv-dtype", paramLabel = "f32|f16|bf16",
            description = "Real backends: KV element type (default: f32 on cpu, f16 on cuda, as `apex run`).")
    String kvDtype;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "cpu: seed of a preset's synthetic weights.")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Profile file to write (JSON).")
    Path out;

    @Override
    public Integer call() {
        Outputs.checkFileOut(out, "--out");
        if (gpuMemoryGb != null) RunOptions.checkRange("--gpu-memory", gpuMemoryGb, 1e-3, 1e6, "a GPU memory cap in GB, > 0 and finite");
        if (backend.equals("cpu") || backend.equals("cuda")) return profileReal();
        if (!backend.equals("sim")) throw new IllegalArgumentException("--backend: expected sim, cpu or cuda, got '" + backend + "'");
        ModelGeometry m = ModelPresets.geometry(model);
        HardwareSpec hw = EngineRunner.hardware(hardware);
        long cap = gpuMemoryGb == null ? 0 : (long) (gpuMemoryGb * 1e9);
        EngineBudgets b = EngineRuns.simBudgets(m, hw, cap, maxRunning, maxTokens);
        Profile p = EngineRuns.simProfile(hw, m, b);
        Outputs.saveProfile(p, out);
        spec.commandLine().getOut().println("wrote " + out + " (" + p.tables().size() + " tables, fingerprint "
                + p.fingerprint() + ")");
        return 0;
    }

    private Integer profileReal() {
        if (gpuKvBlocks < 1 || hostKvBlocks < 1) {
            throw new IllegalArgumentException("--gpu-kv-blocks and --host-kv-blocks must be >= 1, got " + gpuKvBlocks + ", " + hostKvBlocks);
        }
        RunOptions.checkThreads("--threads", threads);
        Profile p = measureMachine(backend, model, threads, RunOptions.kvDtypeOrDefault(kvDtype, backend), seed,
                new EngineBudgets(maxRunning, maxTokens, gpuKvBlocks, hostKvBlocks, EngineBudgets.DEFAULT_BLOCK_SIZE), out,
                IterationCalibration.WORKLOAD, java.util.List.of(), true);
        spec.commandLine().getOut().println("wrote " + out + " (" + p.tables().size() + " tables, fingerprint "
                + p.fingerprint() + ")");
        return 0;
    }

    /**
     * Profiles this machine running {@code model} (a checkpoint folder or a preset) on {@code backend} for the budgets
     * {@code b}: the warm-up and measured sweeps and the runtime samples, then the per-iteration calibration run
     * ({@link IterationCalibration}) of gpu-only and of {@code engines}, on {@code calibrationWorkload}, each after a
     * discarded warm-up run if {@code warmUp}; written to {@code out} whole.
     */
    static Profile measureMachine(String backend, String model, int threads, String kvDtype, long seed, EngineBudgets b, Path out,
                                  String calibrationWorkload, java.util.List<String> engines, boolean warmUp) {
        DType kvType = EngineRunner.kvType(kvDtype);
        EngineRuns.checkReal(backend, kvType);
        Profile p = EngineRuns.profileReal(new EngineRuns.Real(backend, threads, ModelSource.of(model, seed), kvType, b, null,
                RealDevices.opener(backend)));
        Outputs.saveProfile(p, out);
        return IterationCalibration.calibrate(p, out, backend, model, threads, kvDtype, b, seed, calibrationWorkload, engines, warmUp);
    }
}
