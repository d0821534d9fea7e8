package org.apexbench.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.runtime.EngineLoop;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.sim.SimRun;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.engine.sim.SimSetup;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.metrics.DurationClock;
import org.apexbench.profiler.metrics.Metrics;
import org.apexbench.profiler.metrics.Slo;
import org.apexbench.profiler.metrics.Summary;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.profiler.table.Profile;
import org.apexbench.reports.ReportedRun;
import org.apexbench.reports.RunRecords;
import org.apexbench.reports.VllmSetup;
import org.apexbench.workloads.ArrivalProcess;
import org.apexbench.workloads.Workload;
import org.apexbench.workloads.WorkloadContext;
import org.apexbench.workloads.WorkloadSpec;

/**
 * Turns command-line options into engine runs: resolves the model, the hardware spec, the memory budgets
 * and the workload once ({@link #prepare}), then runs any number of engines on exactly that setup
 * ({@link #run}), so a comparison gives every engine the same requests and the same memory.
 */
final class EngineRunner {
    private EngineRunner() {}

    /**
     * @param weights for real runs (cpu backend): loads the model's weights onto a backend; null in sim
     * @param threads for real runs: workers of each of the two backends
     * @param kvType  for real runs: KV element type
     */
    record Setup(String backend, ModelGeometry model, HardwareSpec hardware, EngineBudgets budgets, String workloadText,
                 Workload workload, Profile profile, Slo slo, long seed, double jitter, boolean allSubtasks,
                 Map<String, String> engineOptions, Double gpuMemoryGb,
                 java.util.function.Function<org.apexbench.kernels.Backend, org.apexbench.model.LlamaWeights> weights,
                 int threads, org.apexbench.kernels.DType kvType, org.apexbench.kernels.DType weightType, double cpuSlowdown,
                 DurationClock durationClock, WorkloadSpec workloadSpec) {
        boolean real() { return weights != null; }
    }

    static Setup prepare(RunOptions o, String defaultWorkload) {
        o.validate();
        DurationClock clock = o.durationClock();
        // cpu and cuda both run the real model with the two-thread runtime (cuda: on the GPU, fp16)
        boolean real = o.backend.equals("cpu") || o.backend.equals("cuda");
        Profile profile = o.profile == null ? null : Profile.load(o.profile);
        // sim replaying a measured machine: the model and budgets as a real run of that machine resolves them
        boolean measured = o.backend.equals("sim") && org.apexbench.engine.sim.MeasuredSim.measured(profile);
        ModelGeometry model;
        java.util.function.Function<org.apexbench.kernels.Backend, org.apexbench.model.LlamaWeights> weights = null;
        org.apexbench.kernels.DType weightType = null;
        org.apexbench.model.ModelConfig config = null;
        if (real || measured) {
            weightType = Files.isDirectory(Path.of(o.model)) ? checkpointWeightType(Path.of(o.model))
                    : org.apexbench.kernels.DType.F16;
            Path dir = Path.of(o.model);
            config = Files.isDirectory(dir)
                    ? org.apexbench.model.ModelConfig.load(dir) : presetConfig(o.model);
            model = geometry(config);
            if (measured) model = MeasuredSimSetup.geometry(o, config, weightType, profile);
            else weights = Files.isDirectory(dir) ? org.apexbench.engine.real.RealRun.checkpoint(dir)
                    : org.apexbench.engine.real.RealRun.preset(o.model, org.apexbench.kernels.DType.F16, o.seed);
        } else {
            if (Files.isDirectory(Path.of(o.model))) {
                throw new IllegalArgumentException("--model " + o.model + ": the sim backend needs a model preset (its "
                        + "geometry), one of " + org.apexbench.model.ModelPresets.names());
            }
            model = org.apexbench.model.ModelPresets.geometry(o.model);
        }
        HardwareSpec hw = hardware(o.hardware);
        EngineBudgets budgets;
        if (real || measured) {
            if (o.gpuKvBlocks == null || o.hostKvBlocks == null) {
                throw new IllegalArgumentException("--backend " + o.backend + " needs --gpu-kv-blocks and --host-kv-blocks ("
                        + (o.backend.equals("cpu") ? "the \"GPU\" is a CPU worker: there is no device memory to derive the pools from)"
                        : measured ? "a measured machine's profile has no memory size: give the pools the real run had)"
                        : "real runs take their KV pools from explicit block budgets, not from a hardware spec)"));
            }
            budgets = new EngineBudgets(o.maxRunning, o.maxTokens, o.gpuKvBlocks, o.hostKvBlocks, EngineBudgets.DEFAULT_BLOCK_SIZE);
            if (real) Limits.checkRealMemory(o.backend, config, kvType(o.kvDtypeOrDefault()), budgets);
            else MeasuredSimSetup.check(o, config, weightType, budgets, profile);
        } else {
            budgets = budgets(o, model, hw);
        }
        String text = o.workloadText(defaultWorkload);
        WorkloadSpec spec = WorkloadSpec.parse(text);
        Path traces = o.traces != null ? o.traces : System.getProperty(WorkloadContext.TRACES_PROPERTY) == null ? null
                : Path.of(System.getProperty(WorkloadContext.TRACES_PROPERTY));
        Workload workload = spec.generate(new WorkloadContext(model.vocab(), model.maxContext(), traces, Limits.workloadMemoryBytes()));
        org.apexbench.kernels.DType kv = real || measured ? kvType(o.kvDtypeOrDefault()) : null;
        if (real) org.apexbench.engine.real.RealRun.checkSupported(o.backend, kv);
        return new Setup(o.backend, model, hw, budgets, text, workload, profile, o.slo(), o.seed, o.jitter, o.allSubtasks,
                Map.copyOf(o.engineOptions), o.gpuMemoryGb, weights, o.threads, kv, weightType, o.simCpuSlowdown, clock, spec);
    }

    /** The element type of a checkpoint's weights (that of its embedding table), for profile fingerprints. */
    static org.apexbench.kernels.DType checkpointWeightType(Path dir) {
        try (org.apexbench.model.Safetensors st = org.apexbench.model.Safetensors.open(dir)) {
            return st.info("model.embed_tokens.weight").dtype();
        }
    }

    private static org.apexbench.model.ModelConfig presetConfig(String name) {
        return org.apexbench.model.ModelPresets.config(name);
    }

    /** The cost-relevant shape of a model config (fp16 weights and KV). */
    static ModelGeometry geometry(org.apexbench.model.ModelConfig c) {
        return c.geometry(org.apexbench.kernels.DType.F16, org.apexbench.kernels.DType.F16);
    }

    static org.apexbench.kernels.DType kvType(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "f32" -> org.apexbench.kernels.DType.F32;
            case "f16" -> org.apexbench.kernels.DType.F16;
            case "bf16" -> org.apexbench.kernels.DType.BF16;
            default -> throw new IllegalArgumentException("--kv-dtype: expected f32, f16 or bf16, got '" + s + "'");
        };
    }

    static HardwareSpec hardware(String idOrPath) {
        try {
            return HardwareSpecs.resolve(idOrPath);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().contains(HardwareSpecs.ids().get(0))) throw e;
            throw new IllegalArgumentException(e.getMessage() + " (built-in hardware specs: " + HardwareSpecs.ids() + ")", e);
        }
    }

    static EngineBudgets budgets(RunOptions o, ModelGeometry model, HardwareSpec hw) {
        long cap = o.gpuMemoryGb == null ? 0 : (long) (o.gpuMemoryGb * 1e9);
        EngineBudgets fromMemory = null;
        if (o.gpuKvBlocks == null || o.hostKvBlocks == null) {
            fromMemory = SimSetup.budgets(model, hw, cap, SimSetup.DEFAULT_RESERVE_FRACTION, -1, o.maxRunning, o.maxTokens);
        }
        int gpu = o.gpuKvBlocks != null ? o.gpuKvBlocks : fromMemory.gpuKvBlocks();
        int host = o.hostKvBlocks != null ? o.hostKvBlocks : fromMemory.hostKvBlocks();
        EngineBudgets b = new EngineBudgets(o.maxRunning, o.maxTokens, gpu, host, EngineBudgets.DEFAULT_BLOCK_SIZE);
        Limits.checkSimMemory(model, hw, cap, b);
        return b;
    }

    /**
     * What one engine run produced; {@code tokens} (request id -> generated ids) and {@code device} (the device
     * backend's description) only for real runs.
     */
    record Outcome(ReportedRun report, RunResult result, double wallSec, Map<String, int[]> tokens, String device) {}

    /**
     * Simulated passes of one engine run: two when the report's timeline window must be found first (see {@link #run}),
     * else one (real runs, --all-subtasks, and sweeps, which keep no subtasks).
     */
    static int passes(Setup s, boolean timeline) { return s.real() || s.allSubtasks() || !timeline ? 1 : 2; }

    /**
     * Runs one engine on the setup.
     *
     * @param progress the command's progress (null when quiet)
     * @param timeline whether the report's timeline window of subtasks is kept (a sweep point writes only its summary)
     */
    static Outcome run(Setup s, String engineLabel, CommandProgress progress, boolean timeline) {
        EngineChoice choice = EngineChoice.parse(engineLabel, s.engineOptions());
        if (choice.engineId().equals(org.apexbench.serving.client.OpenAiEngine.ID)) {
            return OpenAiRun.run(s, engineLabel, progress, passes(s, timeline));
        }
        EngineOptions options = new EngineOptions(choice.options());
        // "static-hybrid" alone means its default policy, NEO (docs/engines.md#neo).
        Engine engine = EngineRegistry.create(choice.engineId().equals("static-hybrid") ? "static-hybrid:neo" : choice.engineId(), options);
        if (s.real()) return runReal(s, engineLabel, engine, options.values(), progress);
        if (org.apexbench.engine.sim.MeasuredSim.measured(s.profile())) {
            return MeasuredSimSetup.run(s, engineLabel, engine, options.values(), progress);
        }
        int n = s.workload().requests().size();
        if (progress != null) {
            progress.println(String.format(Locale.ROOT, "%s: running %d requests (%s) on %s + %s ...", engineLabel, n,
                    s.workloadText(), s.hardware().id(), s.model().name()));
        }
        // Subtask records are large; unless all are asked for, keep only the report's timeline window. The
        // window (middle of the run, where CPU attention runs) is known only after a run, so a first pass
        // records iterations only and the second, identical (deterministic) pass records the window.
        int passes = passes(s, timeline);
        long[] window = {0, 0};
        RunResult first = null;
        long t0 = System.nanoTime();
        if (passes == 2) {
            first = SimRun.simulate(engine, s.model(), s.hardware(), s.budgets(), s.workload().requests(),
                    s.workload().closedLoopConcurrency(), s.seed(), s.jitter(), RecordOptions.DEFAULT, s.profile(),
                    progress == null ? null : progress.pass(engineLabel + " pass 1 of 2: timeline window", n), s.cpuSlowdown());
            window = org.apexbench.reports.HtmlReport.timelineWindow(first.iterations());
        }
        RecordOptions records = s.allSubtasks() ? RecordOptions.ALL : new RecordOptions(true, window[0], window[1]);
        RunResult result = SimRun.simulate(engine, s.model(), s.hardware(), s.budgets(), s.workload().requests(),
                s.workload().closedLoopConcurrency(), s.seed(), s.jitter(), records, s.profile(),
                progress == null ? null : progress.pass(passes == 2 ? engineLabel + " pass 2 of 2" : engineLabel, n), s.cpuSlowdown());
        double wall = (System.nanoTime() - t0) / 1e9;   // every pass of this engine
        if (first != null && !first.iterations().equals(result.iterations())) {
            throw new IllegalStateException("engine " + engineLabel + ": two simulated runs of the same setup and seed "
                    + "gave different iterations; the simulation is not deterministic");
        }
        Summary summary = Metrics.summarize(result.requests(), result.iterations(), s.slo(), s.durationClock());
        if (progress != null) {
            progress.println(String.format(Locale.ROOT, "%s: %d/%d requests done, %d iterations, %.1f output tok/s (simulated) "
                    + "in %.1f s wall (%s)", engineLabel, summary.completed(), result.requests().size(), result.iterations().size(),
                    summary.outputThroughput(), wall, passes == 2 ? "both passes" : "one pass"));
        }
        ReportedRun report = new ReportedRun(engineLabel, summary,
                new RunRecords(result.requests(), result.iterations(), result.subtasks()), runSpec(s, engine, result, options.values()),
                vllmSetup(s, engine));
        return new Outcome(report, result, wall, null, null);
    }

    /**
     * A real run on the cpu backend (the two-thread runtime over the real model). The schedulers predict from
     * {@code --profile} if given (refused unless its fingerprint is this model, machine and thread count), else
     * from a profile of the cpu backend's own subtasks swept right before the run (CpuSubtaskTimer).
     */
    private static Outcome runReal(Setup s, String engineLabel, Engine engine, Map<String, String> engineOptions,
                                   CommandProgress progress) {
        int n = s.workload().requests().size();
        EngineLoop.Progress pass = progress == null ? null : progress.pass(engineLabel, n);
        if (progress != null) {
            progress.println(String.format(Locale.ROOT, "%s: running %d requests (%s) on the %s backend, model %s ...", engineLabel,
                    n, s.workloadText(), s.backend(), s.model().name()));
        }
        long t0 = System.nanoTime();
        org.apexbench.engine.real.RealRunResult r = org.apexbench.engine.real.RealRun.run(engine, s.backend(), s.threads(),
                s.weights(), s.weightType(), s.budgets(), s.profile(), s.workload().requests(),
                s.workload().closedLoopConcurrency(), RecordOptions.ALL, s.kvType());
        double wall = (System.nanoTime() - t0) / 1e9;
        RunResult result = r.result();
        Summary summary = Metrics.summarize(result.requests(), result.iterations(), s.slo(), s.durationClock());
        if (progress != null) {
            pass.update(n, n);
            progress.println(String.format(Locale.ROOT, "%s: %d/%d requests done, %d iterations, %.1f output tok/s in %.1f s wall",
                    engineLabel, summary.completed(), result.requests().size(), result.iterations().size(), summary.outputThroughput(), wall));
        }
        Map<String, Object> spec = runSpec(s, engine, result, engineOptions);
        spec.put("threads", s.threads());
        spec.put("kv_dtype", s.kvType().name());
        spec.put("profile", s.profile() != null ? "supplied" : s.backend().equals("cpu")
                ? "swept on the cpu backend before the run (CpuSubtaskTimer)"
                : "swept on the " + s.backend() + " backend before the run (DeviceSubtaskTimer, GPU-event times)");
        ReportedRun report = new ReportedRun(engineLabel, summary,
                new RunRecords(result.requests(), result.iterations(), result.subtasks()), spec, vllmSetup(s, engine));
        return new Outcome(report, result, wall, r.tokens(), r.device());
    }

    /** tokens.jsonl: one JSON object per request, {"id": ..., "tokens": [...]}, in request order. */
    static void writeTokens(Path file, Map<String, int[]> tokens) {
        StringBuilder b = new StringBuilder();
        tokens.forEach((id, ids) -> {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("id", id);
            line.put("tokens", ids);
            b.append(org.apexbench.reports.JsonFiles.toCompactJson(line)).append('\n');
        });
        try {
            Files.writeString(file, b.toString());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * vLLM's setup keys for a run of {@code engine} on this setup: rate and burstiness from the workload's arrival
     * process (span normalisation keeps its process's values), the closed loop's concurrency as vLLM's
     * {@code max_concurrency}; see {@link VllmSetup}.
     */
    static VllmSetup vllmSetup(Setup s, Engine engine) { return vllmSetup(s, engine.id(), s.model().name()); }

    /** As above, for the serving system {@code backend} running model {@code modelId}. */
    static VllmSetup vllmSetup(Setup s, String backend, String modelId) {
        ArrivalProcess a = s.workloadSpec().arrivals();
        if (a instanceof ArrivalProcess.SpanNormalized n) a = n.process();
        double inf = Double.POSITIVE_INFINITY;
        double[] rateAndBurstiness = switch (a) {
            case null -> new double[] {Double.NaN, Double.NaN};
            case ArrivalProcess.Poisson p -> new double[] {p.rate(), 1.0};
            case ArrivalProcess.Gamma g -> new double[] {g.rate(), 1 / (g.cv() * g.cv())};
            case ArrivalProcess.Uniform u -> new double[] {u.rate(), inf};
            case ArrivalProcess.AllAtOnce _, ArrivalProcess.ClosedLoop _ -> new double[] {inf, 1.0};
            case ArrivalProcess.SpanNormalized n -> throw new IllegalStateException("nested span normalisation: " + n.describe());
        };
        int concurrency = s.workload().closedLoopConcurrency();
        return new VllmSetup(backend, modelId, s.workload().requests().size(), rateAndBurstiness[0],
                rateAndBurstiness[1], concurrency > 0 ? concurrency : null);
    }

    /** Everything that defines the run (summary.json's run_spec): deterministic, no machine details. */
    static Map<String, Object> runSpec(Setup s, Engine engine, RunResult result, Map<String, String> engineOptions) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("engine", engine.id());
        m.put("engine_description", result.description());
        m.put("host_runtime", engine.hostRuntime());
        m.put("backend", s.backend());
        m.put("executor", result.executor());
        m.put("model", s.model().name());
        m.put("hardware", s.hardware().id());
        m.put("gpu_memory_cap_gb", s.gpuMemoryGb());
        m.put("gpu_kv_blocks", s.budgets().gpuKvBlocks());
        m.put("host_kv_blocks", s.budgets().hostKvBlocks());
        m.put("block_size", s.budgets().blockSize());
        m.put("max_running", s.budgets().maxRunning());
        m.put("max_tokens_per_iteration", s.budgets().maxTokensPerIteration());
        m.put("workload", s.workloadText());
        m.put("workload_description", s.workload().description());
        m.put("num_prompts", s.workload().requests().size());
        m.put("seed", s.seed());
        m.put("jitter_sigma", s.jitter());
        if (s.cpuSlowdown() != 1) m.put("sim_cpu_slowdown", s.cpuSlowdown());   // absent when 1: older summaries stay identical
        m.put("profile", s.profile() == null ? "swept over the simulated hardware" : "supplied");
        m.put("engine_options", new java.util.TreeMap<>(engineOptions));   // --engine-option plus the engine's own [..]
        return m;
    }
}
