package org.apexbench.engine.real;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.runtime.EngineLoop;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.predict.ProfilePredictor;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.model.LlamaModel;
import org.apexbench.model.LlamaWeights;
import org.apexbench.model.ModelConfig;
import org.apexbench.profiler.table.Profile;
import org.apexbench.profiler.table.ProfileFingerprint;
import org.apexbench.profiler.table.ProfileSweep;
import org.apexbench.profiler.table.SweepGrid;
import org.apexbench.model.ModelPresets;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.HostBridge;
import org.apexbench.workloads.RequestSpec;

/**
 * Runs an engine on the real model with the two-thread runtime ({@link RealExecutor}): the device backend
 * (cpu or cuda) and a cpu backend for host attention, each cpu backend with {@code threads} workers. The
 * device and host meet through a {@link HostBridge} (cuda: pinned host pool and staging, async copies,
 * events and host flags). Asking for cuda where it cannot run fails with the backend's reason (no driver,
 * no device, PTX too new), never a fallback to cpu.
 */
public final class RealRun {
    private RealRun() { }

    /** Weights from a Hugging Face checkpoint directory. */
    public static Function<Backend, LlamaWeights> checkpoint(Path dir) {
        return backend -> LlamaWeights.load(dir, backend);
    }

    /** Synthetic weights of a named preset ({@link ModelPresets}). */
    public static Function<Backend, LlamaWeights> preset(String name, DType dtype, long seed) {
        return backend -> LlamaWeights.synthetic(ModelPresets.config(name), dtype, seed, backend);
    }

    /** What a cpu-backend profile of this model on this machine is taken on. */
    public static ProfileFingerprint fingerprint(ModelConfig c, DType weightType, DType kvType, int threads, int blockSize) {
        return fingerprint("cpu", "cpu", "n/a", c, weightType, kvType, threads, blockSize);
    }

    /**
     * What a profile of this model on this machine is taken on: backend {@code backend} on device {@code gpu}
     * ("cpu" on the cpu backend) with driver {@code driver}, host attention with {@code threads} workers.
     */
    public static ProfileFingerprint fingerprint(String backend, String gpu, String driver, ModelConfig c, DType weightType,
                                                 DType kvType, int threads, int blockSize) {
        String cpu = System.getProperty("os.arch") + " x" + Runtime.getRuntime().availableProcessors();
        return new ProfileFingerprint(hostName(), gpu, driver, cpu, threads, c.geometry(weightType, kvType),
                weightType.name().toLowerCase(java.util.Locale.ROOT), kvType.name().toLowerCase(java.util.Locale.ROOT), blockSize, backend);
    }

    /** The fingerprint of a real run of {@code model} (on its backend) with host attention on {@code host}. */
    static ProfileFingerprint fingerprint(LlamaModel model, Backend host, DType weightType, DType kvType, int threads, int blockSize) {
        if ("cpu".equals(model.backend().name())) return fingerprint(model.config(), weightType, kvType, threads, blockSize);
        try (HostBridge bridge = HostBridge.open(model.backend(), host)) {
            return fingerprint(model.backend().name(), bridge.deviceName(), bridge.driverVersion(), model.config(), weightType, kvType,
                    threads, blockSize);
        }
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    /**
     * Profiles the real model's subtasks over the grid the budgets reach (as SimSetup does for simulated
     * hardware): {@link CpuSubtaskTimer} on the cpu backend, {@link DeviceSubtaskTimer} (GPU-event times) on
     * cuda. Seconds for tiny models; long for 7B-class presets on a CPU.
     */
    public static Profile sweep(LlamaModel model, Backend host, EngineBudgets b, DType weightType, DType kvType, int threads) {
        ModelConfig c = model.config();
        long gpuTokens = (long) b.gpuKvBlocks() * b.blockSize();
        long hostTokens = Math.max(gpuTokens, (long) b.hostKvBlocks() * b.blockSize());
        long kvPerToken = 2L * c.layers() * c.kvWidth() * kvType.bytes();
        long maxCopy = Math.max(gpuTokens, hostTokens) * kvPerToken;
        int maxPrompt = Math.min(c.maxPositionEmbeddings(), Math.max(32, b.maxTokensPerIteration()));
        int maxSeqs = Math.min(b.maxRunning(), b.maxTokensPerIteration());
        // The timer runs a linear subtask as one sequence of `rows` tokens, so widths stop at the model's
        // context; wider iterations are extrapolated linearly from the table (linear time is linear in rows).
        int maxLinear = Math.min(b.maxTokensPerIteration(), c.maxPositionEmbeddings());
        SweepGrid grid = SweepGrid.defaults(maxLinear, maxSeqs, Math.max(32, gpuTokens), Math.max(32, hostTokens),
                maxPrompt, maxCopy);
        long maxContext = Math.max(32, hostTokens);
        ProfileFingerprint fp = fingerprint(model, host, weightType, kvType, threads, b.blockSize());
        if (!"cpu".equals(model.backend().name())) {
            try (DeviceSubtaskTimer timer = new DeviceSubtaskTimer(model, host, Math.max(maxLinear, maxPrompt),
                    Math.max(2, maxSeqs), maxContext, Math.max(2048, maxCopy), kvType)) {
                return ProfileSweep.sweep(timer, grid, fp, "DeviceSubtaskTimer (" + model.backend().describe() + "; host attention: "
                        + threads + " cpu threads)");
            }
        }
        try (CpuSubtaskTimer timer = new CpuSubtaskTimer(model, host, Math.max(maxLinear, maxPrompt),
                Math.max(2, maxSeqs), maxContext, Math.max(2048, maxCopy), kvType)) {
            return ProfileSweep.sweep(timer, grid, fp, "CpuSubtaskTimer (cpu backend, " + threads + " threads per backend)");
        }
    }

    /**
     * Runs {@code engine} with schedulers predicting from {@code profile} (refused unless its fingerprint is
     * this model, machine and thread count), or, when null, from a profile swept right before the run.
     */
    public static RealRunResult run(Engine engine, String backend, int threads, Function<Backend, LlamaWeights> weights,
                                    DType weightType, EngineBudgets budgets, Profile profile, List<RequestSpec> requests,
                                    RecordOptions records, DType kvType) {
        return run(engine, backend, threads, weights, weightType, budgets, profile, requests, 0, records, kvType);
    }

    /**
     * As above; {@code closedLoopConcurrency} &gt; 0 runs the requests as that many closed-loop clients (each sends
     * its next request when its previous one finished; the requests' own arrival times are ignored), 0 = open loop.
     */
    public static RealRunResult run(Engine engine, String backend, int threads, Function<Backend, LlamaWeights> weights,
                                    DType weightType, EngineBudgets budgets, Profile profile, List<RequestSpec> requests,
                                    int closedLoopConcurrency, RecordOptions records, DType kvType) {
        return run(engine, backend, DeviceOpener.named(backend), threads, weights, weightType, budgets, profile, requests,
                closedLoopConcurrency, records, kvType);
    }

    /** As above, with the device backend opened by {@code device} (e.g. a test's emulation of {@code backend}). */
    public static RealRunResult run(Engine engine, String backend, DeviceOpener device, int threads,
                                    Function<Backend, LlamaWeights> weights, DType weightType, EngineBudgets budgets, Profile profile,
                                    List<RequestSpec> requests, int closedLoopConcurrency, RecordOptions records, DType kvType) {
        checkSupported(backend, kvType);
        try (Backend opened = device.open(threads);
             Backend host = Backends.open("cpu", threads);
             LlamaModel model = new LlamaModel(weights.apply(opened), opened)) {
            Predictor predictor = predictor(model, host, budgets, profile, weightType, kvType, threads);
            return run(engine, backend, model, host, null, budgets, predictor, requests, closedLoopConcurrency, records, kvType,
                    TokenForcing.NONE);
        }
    }

    /**
     * What the schedulers of a real run of {@code model} know about time: {@code profile} (refused unless its
     * fingerprint is this model, machine and thread count), or, when null, a profile swept right now.
     */
    public static Predictor predictor(LlamaModel model, Backend host, EngineBudgets budgets, Profile profile, DType weightType,
                                      DType kvType, int threads) {
        ProfileFingerprint expected = fingerprint(model, host, weightType, kvType, threads, budgets.blockSize());
        Profile p = profile != null ? profile : sweep(model, host, budgets, weightType, kvType, threads);
        return ProfilePredictor.checked(p, expected, profile != null ? "supplied to the run" : "swept before the run");
    }

    /**
     * Runs {@code engine} over {@code requests}.
     *
     * @param backend   "cpu" or "cuda" (device backend; host attention always runs on a cpu backend)
     * @param threads   worker threads of each cpu backend (0 = all processors)
     * @param weights   loads the weights onto the device backend
     * @param predictor what the scheduler knows about time (e.g. from a profile measured with {@link CpuSubtaskTimer})
     * @param kvType    KV element type of both pools
     */
    public static RealRunResult run(Engine engine, String backend, int threads, Function<Backend, LlamaWeights> weights,
                                    EngineBudgets budgets, Predictor predictor, List<RequestSpec> requests,
                                    RecordOptions records, DType kvType) {
        return run(engine, backend, threads, weights, budgets, predictor, requests, 0, records, kvType);
    }

    /** As above; {@code closedLoopConcurrency} &gt; 0 runs the requests as that many closed-loop clients, 0 = open loop. */
    public static RealRunResult run(Engine engine, String backend, int threads, Function<Backend, LlamaWeights> weights,
                                    EngineBudgets budgets, Predictor predictor, List<RequestSpec> requests,
                                    int closedLoopConcurrency, RecordOptions records, DType kvType) {
        checkSupported(backend, kvType);
        try (Backend device = Backends.open(backend, threads);
             Backend host = Backends.open("cpu", threads);
             LlamaModel model = new LlamaModel(weights.apply(device), device)) {
            return run(engine, backend, model, host, null, budgets, predictor, requests, closedLoopConcurrency, records, kvType,
                    TokenForcing.NONE);
        }
    }

    /**
     * Runs {@code engine} on an open model and host backend through {@code bridge} (taken over), e.g. a test's
     * emulation of an enqueueing device on the cpu backend; the caller closes the model and backends.
     */
    public static RealRunResult run(Engine engine, LlamaModel model, Backend host, HostBridge bridge, EngineBudgets budgets,
                                    Predictor predictor, List<RequestSpec> requests, RecordOptions records, DType kvType) {
        return run(engine, model, host, bridge, budgets, predictor, requests, records, kvType, TokenForcing.NONE);
    }

    /**
     * As above, committing the tokens {@code forcing} chooses (teacher forcing: a check feeds its reference's tokens
     * and compares the model's own at every position); the result's tokens are the committed ones.
     *
     * @param bridge the device/host bridge (taken over), or null for {@link HostBridge#open} of the two backends
     */
    public static RealRunResult run(Engine engine, LlamaModel model, Backend host, HostBridge bridge, EngineBudgets budgets,
                                    Predictor predictor, List<RequestSpec> requests, RecordOptions records, DType kvType,
                                    TokenForcing forcing) {
        return run(engine, model.backend().name(), model, host, bridge, budgets, predictor, requests, 0, records, kvType, forcing);
    }

    private static RealRunResult run(Engine engine, String backend, LlamaModel model, Backend host, HostBridge bridge,
                                     EngineBudgets budgets, Predictor predictor, List<RequestSpec> requests,
                                     int closedLoopConcurrency, RecordOptions records, DType kvType, TokenForcing forcing) {
        try (RealExecutor executor = new RealExecutor(model, host, budgets, kvType, engine.launchSecPerStage(), bridge)) {
            executor.forceTokens(forcing);
            RunResult result = new EngineLoop(engine, executor, backend, executor.geometry(), budgets, predictor, records, true)
                    .run(requests, closedLoopConcurrency);
            Map<String, int[]> generated = executor.tokens();
            Map<String, int[]> ordered = new LinkedHashMap<>();
            for (RequestSpec r : requests) ordered.put(r.id(), generated.getOrDefault(r.id(), new int[0]));
            return new RealRunResult(result, ordered, model.backend().describe());
        }
    }

    /** Refuses what a real run cannot do, before any backend is opened. */
    public static void checkSupported(String backend, DType kvType) {
        switch (backend) {
            case "cpu" -> { }
            case "cuda" -> {
                // cuda kernels keep the GPU pool in fp16, and swaps copy raw bytes, so both pools are fp16
                if (kvType != DType.F16) {
                    throw new IllegalArgumentException("real runs on cuda keep KV in F16 (GPU and host pools), got " + kvType);
                }
            }
            default -> throw new IllegalArgumentException("real runs need backend cpu or cuda, got '" + backend
                    + "' (use --backend sim for simulated GPUs)");
        }
    }
}
