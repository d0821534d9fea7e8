package org.apexbench.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.real.RealRunResult;
import org.apexbench.engine.runs.EngineRuns;
import org.apexbench.engine.runtime.EngineLoop;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.engine.runtime.SubtaskWindow;
import org.apexbench.kernels.DType;
import org.apexbench.model.ModelPresets;
import org.apexbench.model.ModelSource;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.hardware.GpuMemory;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.metrics.DurationClock;
import org.apexbench.profiler.metrics.Metrics;
import org.apexbench.profiler.metrics.Slo;
import org.apexbench.profiler.Rejections;
import org.apexbench.profiler.metrics.Summary;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.profiler.table.Profile;
import org.apexbench.reports.JsonFiles;
import org.apexbench.reports.ReportedRun;
import org.apexbench.reports.RunRecords;
import org.apexbench.reports.TimelineWindow;
import org.apexbench.reports.VllmSetup;
import org.apexbench.serving.client.OpenAiEngine;
import org.apexbench.workloads.ArrivalProcess;
import org.apexbench.workloads.RequestSpec;
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
     * @param gpuPool how the GPU KV pool followed from memory (sim without --gpu-kv-blocks); null otherwise
     * @param measured sim of a machine measured by a cpu/cuda profile: its threads and KV type; null otherwise
     * @param real for real runs (cpu and cuda backends): the model, backends, KV type and budgets; null in sim
     */
    record Setup(String backend, ModelGeometry model, HardwareSpec hardware, EngineBudgets budgets, GpuMemory.KvPool gpuPool,
                 String workloadText,
                 Workload workload, Profile profile, Slo slo, long seed, double jitter, boolean allSubtasks,
                 Map<String, String> engineOptions, Double gpuMemoryGb, Double gpuMemoryUtilization, EngineRuns.Real real,
                 MeasuredSimSetup.Machine measured, double cpuSlowdown,
                 DurationClock durationClock, WorkloadSpec workloadSpec) {
        boolean isReal() { return real != null; }

        /** This setup with {@code requests} (sorted by arrival, open loop) as its workload's requests. */
        Setup withRequests(List<RequestSpec> requests, String description) {
            return new Setup(backend, model, hardware, budgets, gpuPool, workloadText, new Workload(requests, 0, description), profile,
                    slo, seed, jitter, allSubtasks, engineOptions, gpuMemoryGb, gpuMemoryUtilization, real, measured, cpuSlowdown,
                    durationClock, workloadSpec);
        }

        /** This setup reading {@code p} as its profile (a simulated run of a measured machine: the machine it replays). */
        Setup withProfile(Profile p) {
            return new Setup(backend, model, hardware, budgets, gpuPool, workloadText, workload, p, slo, seed, jitter, allSubtasks,
                    engineOptions, gpuMemoryGb, gpuMemoryUtilization, real, measured, cpuSlowdown, durationClock, workloadSpec);
        }

        /** Why {@code engineLabel} would reject each request on arrival as never servable under this setup's budgets (null: it can serve it). */
        java.util.function.Function<RequestSpec, String> rejection(String engineLabel) {
            EngineChoice choice = EngineChoice.parse(engineLabel, engineOptions);
            return EngineRuns.rejection(EngineRuns.create(choice.engineId(), new EngineOptions(choice.options()), slo), model, budgets);
        }

        /** What a simulated run of this setup is given. */
        EngineRuns.Sim sim() {
            return new EngineRuns.Sim(model, hardware, budgets, workload.requests(), workload.closedLoopConcurrency(), seed,
                    jitter, profile, cpuSlowdown);
        }
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
        ModelSource source = null;
        if (real || measured) {
            source = ModelSource.of(o.model, o.seed);
            model = measured ? MeasuredSimSetup.geometry(o, source.config(), source.weightType(), profile) : source.geometry();
        } else {
            if (Files.isDirectory(Path.of(o.model))) {
                throw new IllegalArgumentException("--model " + o.model + ": the sim backend needs a model preset (its "
                        + "geometry), one of " + ModelPresets.names());
            }
            model = ModelPresets.geometry(o.model);
        }
        HardwareSpec hw = hardware(o.hardware);
        EngineBudgets budgets;
        GpuMemory.KvPool gpuPool = null;
        if (real || measured) {
            if (o.gpuKvBlocks == null || o.hostKvBlocks == null) {
                throw new IllegalArgumentException("--backend " + o.backend + " needs --gpu-kv-blocks and --host-kv-blocks ("
                        + (o.backend.equals("cpu") ? "the \"GPU\" is a CPU worker: there is no device memory to derive the pools from)"
                        : measured ? "a measured machine's profile has no memory size: give the pools the real run had)"
                        : "real runs take their KV pools from explicit block budgets, not from a hardware spec)"));
            }
            budgets = new EngineBudgets(o.maxRunning, o.maxTokens, o.gpuKvBlocks, o.hostKvBlocks, EngineBudgets.DEFAULT_BLOCK_SIZE);
            if (real) Limits.checkRealMemory(o.backend, source, kvType(o.kvDtypeOrDefault()), budgets);
            else MeasuredSimSetup.check(o, source.config(), source.weightType(), budgets, profile);
        } else {
            gpuPool = o.gpuKvBlocks == null ? gpuPool(o, model, hw) : null;
            budgets = budgets(o, model, hw, gpuPool);
        }
        String text = o.workloadText(defaultWorkload);
        WorkloadSpec spec = WorkloadSpec.parse(text);
        Path traces = o.traces != null ? o.traces : System.getProperty(WorkloadContext.TRACES_PROPERTY) == null ? null
                : Path.of(System.getProperty(WorkloadContext.TRACES_PROPERTY));
        Workload workload = spec.generate(new WorkloadContext(model.vocab(), model.maxContext(), traces, Limits.workloadMemoryBytes()));
        EngineRuns.Real realSetup = real ? new EngineRuns.Real(o.backend, o.threads, source, kvType(o.kvDtypeOrDefault()), budgets,
                profile, RealDevices.opener(o.backend)) : null;
        MeasuredSimSetup.Machine machine = measured ? new MeasuredSimSetup.Machine(o.threads, kvType(o.kvDtypeOrDefault())) : null;
        return new Setup(o.backend, model, hw, budgets, gpuPool, text, workload, profile, o.slo(), o.seed, o.jitter, o.allSubtasks,
                Map.copyOf(o.engineOptions), o.gpuMemoryGb, o.gpuMemoryUtilization, realSetup, machine, o.simCpuSlowdown, clock, spec);
    }

    static DType kvType(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            case "bf16" -> DType.BF16;
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

    /** The GPU KV pool vLLM's rule gives (docs/fidelity.md#gpu-memory); refused, naming every term, without a block. */
    static GpuMemory.KvPool gpuPool(RunOptions o, ModelGeometry model, HardwareSpec hw) {
        long cap = o.gpuMemoryGb == null ? 0 : (long) (o.gpuMemoryGb * 1e9);
        double utilization = o.gpuMemoryUtilization == null ? Double.NaN : o.gpuMemoryUtilization;
        return GpuMemory.requireBlocks(EngineRuns.simGpuPool(model, hw, cap, utilization, o.maxRunning, o.maxTokens),
                hw.id() + " + " + model.name());
    }

    /** Sim budgets: the GPU pool from {@code gpuPool} unless --gpu-kv-blocks gives it, the host pool likewise. */
    static EngineBudgets budgets(RunOptions o, ModelGeometry model, HardwareSpec hw, GpuMemory.KvPool gpuPool) {
        long cap = o.gpuMemoryGb == null ? 0 : (long) (o.gpuMemoryGb * 1e9);
        int gpu = o.gpuKvBlocks != null ? o.gpuKvBlocks : gpuPool.blocks();
        long blockBytes = KvCapacity.blockBytes(model, EngineBudgets.DEFAULT_BLOCK_SIZE);
        int host = o.hostKvBlocks != null ? o.hostKvBlocks
                : EngineRuns.simHostBlocks(hw, blockBytes);
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
     * Runs one engine on the setup. A simulated run runs once: unless every subtask is asked for, it keeps only the
     * subtasks of the report's timeline window, which {@link TimelineWindow} picks as the run goes.
     *
     * @param progress the command's progress (null when quiet)
     * @param timeline whether the report's timeline window of subtasks is kept (a sweep point writes only its summary)
     */
    static Outcome run(Setup s, String engineLabel, CommandProgress progress, boolean timeline) {
        EngineChoice choice = EngineChoice.parse(engineLabel, s.engineOptions());
        if (choice.engineId().equals(OpenAiEngine.ID)) return OpenAiRun.run(s, engineLabel, progress);
        EngineOptions options = new EngineOptions(choice.options());
        Engine engine = EngineRuns.create(choice.engineId(), options, s.slo());
        if (s.isReal()) return runReal(s, engineLabel, engine, options.values(), progress);
        if (s.measured() != null) return MeasuredSimSetup.run(s, engineLabel, engine, options.values(), progress);
        int n = s.workload().requests().size();
        if (progress != null) {
            progress.println(String.format(Locale.ROOT, "%s: running %d requests (%s) on %s + %s ...", engineLabel, n,
                    s.workloadText(), s.hardware().id(), s.model().name()));
        }
        // Subtask records are large; unless all are asked for, keep only the report's timeline window.
        RecordOptions records = s.allSubtasks() ? RecordOptions.ALL
                : timeline ? RecordOptions.window(timelineWindow()) : RecordOptions.DEFAULT;
        long t0 = System.nanoTime();
        RunResult result = EngineRuns.simulate(engine, s.sim(), records, progress == null ? null : progress.pass(engineLabel, n));
        double wall = (System.nanoTime() - t0) / 1e9;
        Summary summary = Metrics.summarize(result.requests(), result.iterations(), s.slo(), s.durationClock());
        if (progress != null) {
            progress.println(String.format(Locale.ROOT, "%s: %d/%d requests done, %d iterations, %.1f output tok/s (simulated) "
                    + "in %.1f s wall", engineLabel, summary.completed(), result.requests().size(), result.iterations().size(),
                    summary.outputThroughput(), wall));
            printRejections(progress, engineLabel, result);
        }
        ReportedRun report = new ReportedRun(engineLabel, summary,
                new RunRecords(result.requests(), result.iterations(), result.subtasks()), runSpec(s, engine, result, options.values()),
                vllmSetup(s, engine));
        return new Outcome(report, result, wall, null, null);
    }

    /** A line saying how many requests the engine rejected as never servable, and why, if it rejected any. */
    private static void printRejections(CommandProgress progress, String engineLabel, RunResult result) {
        String rejected = Rejections.describe(result.requests());
        if (rejected != null) progress.println(engineLabel + ": " + rejected);
    }

    /** The report's timeline window as the engine loop asks for it. */
    static SubtaskWindow timelineWindow() {
        TimelineWindow w = new TimelineWindow();
        return new SubtaskWindow() {
            @Override
            public long observe(IterationRecord iteration) { return w.observe(iteration); }

            @Override
            public long[] window() { return w.window(); }
        };
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
        RealRunResult r = EngineRuns.runReal(engine, s.real(), s.workload().requests(), s.workload().closedLoopConcurrency(),
                RecordOptions.ALL);
        double wall = (System.nanoTime() - t0) / 1e9;
        RunResult result = r.result();
        Summary summary = Metrics.summarize(result.requests(), result.iterations(), s.slo(), s.durationClock());
        if (progress != null) {
            pass.update(n, n);
            progress.println(String.format(Locale.ROOT, "%s: %d/%d requests done, %d iterations, %.1f output tok/s in %.1f s wall",
                    engineLabel, summary.completed(), result.requests().size(), result.iterations().size(), summary.outputThroughput(), wall));
            printRejections(progress, engineLabel, result);
        }
        Map<String, Object> spec = runSpec(s, engine, result, engineOptions);
        spec.put("threads", s.real().threads());
        spec.put("kv_dtype", s.real().kvType().name());
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
            b.append(JsonFiles.toCompactJson(line)).append('\n');
        });
        try {
            Files.writeString(file, b.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
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
            case ArrivalProcess.PoissonArrivals p -> new double[] {p.rate(), 1.0};
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
        if (s.gpuPool() != null) {
            Map<String, Object> pool = new LinkedHashMap<>(s.gpuPool().toMap());
            pool.put("utilization_from", s.gpuMemoryUtilization() != null ? "--gpu-memory-utilization"
                    : s.hardware().id() + "'s default (gpu.defaultMemoryUtilization)");
            m.put("gpu_kv_pool", pool);
        } else if (!s.isReal()) {
            m.put("gpu_kv_pool", Map.of("derivation", "--gpu-kv-blocks"));
        }
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
        m.put("engine_options", new TreeMap<>(engineOptions));   // --engine-option plus the engine's own [..]
        return m;
    }
}
