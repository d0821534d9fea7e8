package org.apexbench.engine.runs;

import java.util.List;
import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOption;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.real.DeviceOpener;
import org.apexbench.engine.real.RealRun;
import org.apexbench.engine.real.RuntimeSweep;
import org.apexbench.engine.real.RealRunResult;
import org.apexbench.engine.runtime.EngineLoop;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.engine.sim.SimRun;
import org.apexbench.engine.sim.SimSetup;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.model.LlamaModel;
import org.apexbench.model.ModelSource;
import org.apexbench.profiler.hardware.GpuMemory;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.profiler.table.Profile;
import org.apexbench.workloads.RequestSpec;

/**
 * What the harness calls to find, run and profile engines: the one door from the commands into the engines (the
 * registry, the simulated and the real runtimes), so no command reaches into sim, real or runtime internals.
 */
public final class EngineRuns {
    private EngineRuns() { }

    /** "static-hybrid" alone means its default policy, NEO (docs/engines.md#neo). */
    private static String resolve(String id) { return id.equals("static-hybrid") ? "static-hybrid:neo" : id; }

    /** Engine {@code id} with {@code options}; unknown ids, unknown options and bad values are errors naming them. */
    public static Engine create(String id, EngineOptions options) { return EngineRegistry.create(resolve(id), options); }

    /** As {@link #create(String, EngineOptions)}, for a run held to {@code slo} (engines that schedule to SLOs read them). */
    public static Engine create(String id, EngineOptions options, org.apexbench.profiler.metrics.Slo slo) {
        return EngineRegistry.create(resolve(id), options, slo);
    }

    /** Ids of every engine on the class path, sorted. */
    public static List<String> ids() { return EngineRegistry.ids(); }

    /** The options engine {@code id} accepts, with defaults, bounds and help. */
    public static List<EngineOption> options(String id) { return EngineRegistry.declaredOptions(resolve(id)); }

    /**
     * Why {@code engine} would reject each request on arrival as never servable with {@code budgets} over {@code model}
     * (null: it can serve it), as its runs do: the answer depends on the request's lengths alone.
     */
    public static java.util.function.Function<RequestSpec, String> rejection(Engine engine, ModelGeometry model, EngineBudgets budgets) {
        org.apexbench.engine.Scheduler scheduler = engine.schedulers().get();
        return r -> EngineLoop.rejection(scheduler, model, budgets, r);
    }

    /**
     * What a simulated run is given.
     *
     * @param closedLoopConcurrency &gt; 0: that many closed-loop clients; 0: open loop
     * @param profile               what the schedulers predict from; null: swept over the simulated hardware
     * @param cpuSlowdown           the simulated host's CPU attention this many times slower than profiled (1: as profiled)
     */
    public record Sim(ModelGeometry model, HardwareSpec hardware, EngineBudgets budgets, List<RequestSpec> requests,
                      int closedLoopConcurrency, long seed, double jitter, Profile profile, double cpuSlowdown) { }

    /** Runs {@code engine} once on the simulated clock, keeping {@code records}; {@code progress} may be null. */
    public static RunResult simulate(Engine engine, Sim s, RecordOptions records, EngineLoop.Progress progress) {
        return SimRun.simulate(engine, s.model(), s.hardware(), s.budgets(), s.requests(), s.closedLoopConcurrency(), s.seed(),
                s.jitter(), records, s.profile(), progress, s.cpuSlowdown());
    }

    /**
     * KV budgets of a simulated run from memory: the GPU pool vLLM's rule gives at the GPU's default utilization
     * (capped at {@code gpuMemoryCapBytes} when &gt; 0) and the default share of host memory.
     */
    public static EngineBudgets simBudgets(ModelGeometry model, HardwareSpec hw, long gpuMemoryCapBytes, int maxRunning,
                                           int maxTokensPerIteration) {
        return SimSetup.budgets(model, hw, gpuMemoryCapBytes, Double.NaN, -1, maxRunning, maxTokensPerIteration);
    }

    /** The GPU KV pool of {@code model} on {@code hw} at {@code utilization} (NaN: the GPU's default), with its derivation. */
    public static GpuMemory.KvPool simGpuPool(ModelGeometry model, HardwareSpec hw, long gpuMemoryCapBytes, double utilization,
                                              int maxRunning, int maxTokensPerIteration) {
        return SimSetup.gpuPool(model, hw, gpuMemoryCapBytes, utilization, maxRunning, maxTokensPerIteration);
    }

    /** The host KV pool of a simulated run in blocks of {@code blockBytes}: the default share of the host's memory. */
    public static int simHostBlocks(HardwareSpec hw, long blockBytes) {
        return (int) Math.min(Integer.MAX_VALUE, SimSetup.defaultHostKvBytes(hw) / blockBytes);
    }

    /** The profile a simulated run's schedulers predict from unless given one: swept over the simulated hardware. */
    public static Profile simProfile(HardwareSpec hw, ModelGeometry model, EngineBudgets budgets) {
        return SimSetup.profile(hw, model, budgets);
    }

    /**
     * What a real run is given.
     *
     * @param backend "cpu" or "cuda": where the model runs (host attention always runs on a cpu backend)
     * @param threads workers of each cpu backend (0: all processors)
     * @param profile what the schedulers predict from (refused unless its fingerprint is this setup); null: swept first
     * @param device  opens the device backend: {@code backend} by name, or a test's emulation of it (null: by name)
     */
    public record Real(String backend, int threads, ModelSource model, DType kvType, EngineBudgets budgets, Profile profile,
                       DeviceOpener device) {
        public Real {
            RealRun.checkSupported(backend, kvType);
            if (device == null) device = DeviceOpener.named(backend);
        }

        /** The device backend opened by name. */
        public Real(String backend, int threads, ModelSource model, DType kvType, EngineBudgets budgets, Profile profile) {
            this(backend, threads, model, kvType, budgets, profile, null);
        }
    }

    /** Refuses what a real run cannot do (an unknown backend, a KV type the backend cannot hold), before any work. */
    public static void checkReal(String backend, DType kvType) { RealRun.checkSupported(backend, kvType); }

    /** Runs {@code engine} on the real model; {@code closedLoopConcurrency} &gt; 0: that many closed-loop clients. */
    public static RealRunResult runReal(Engine engine, Real r, List<RequestSpec> requests, int closedLoopConcurrency,
                                        RecordOptions records) {
        return RealRun.run(engine, r.backend(), r.device(), r.threads(), r.model().weights(), r.model().weightType(), r.budgets(),
                r.profile(), requests, closedLoopConcurrency, records, r.kvType());
    }

    /**
     * Runs {@code engine} on the real model with schedulers predicting from {@code predictor} (a check's fixed cost
     * function, not a profile), open loop.
     */
    public static RealRunResult runReal(Engine engine, String backend, int threads, ModelSource model, EngineBudgets budgets,
                                        Predictor predictor, List<RequestSpec> requests, RecordOptions records, DType kvType) {
        return RealRun.run(engine, backend, threads, model.weights(), budgets, predictor, requests, records, kvType);
    }

    /**
     * {@code p} with its runtime samples (noise, hand-over, contention, two-thread layer) taken again now on {@code r}'s
     * model and backends, its tables and per-iteration calibration kept: the machine as the next real run meets it.
     */
    public static Profile resampleRuntime(Real r, Profile p) {
        try (Backend device = r.device().open(r.threads());
             Backend host = Backends.open("cpu", r.threads());
             LlamaModel lm = new LlamaModel(r.model().load(device), device)) {
            return RuntimeSweep.resample(p, lm, host, r.budgets(), r.kvType());
        }
    }

    /** Profiles the real model's subtasks on {@code r}'s backends over the grid its budgets reach. */
    public static Profile profileReal(Real r) {
        try (Backend device = r.device().open(r.threads());
             Backend host = Backends.open("cpu", r.threads());
             LlamaModel lm = new LlamaModel(r.model().load(device), device)) {
            return RuntimeSweep.profile(lm, host, r.budgets(), r.model().weightType(), r.kvType(), r.threads());
        }
    }
}
