package org.apexbench.engine.real;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineLoop;
import org.apexbench.engine.Predictor;
import org.apexbench.engine.RecordOptions;
import org.apexbench.engine.RunResult;
import org.apexbench.engine.model.LlamaModel;
import org.apexbench.engine.model.LlamaWeights;
import org.apexbench.engine.model.ModelPresets;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.workloads.RequestSpec;

/**
 * Runs an engine on the real model with the two-thread runtime ({@link RealExecutor}): the device
 * backend and a second backend of the same kind for host attention, each with {@code threads} workers.
 * Only the cpu backend is supported: the host thread reads the device's q/k/v rows and the host pool
 * through host memory; a cuda run needs pinned staging buffers and events that are not built yet.
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

    /**
     * Runs {@code engine} over {@code requests}.
     *
     * @param backend   "cpu" (anything else is refused, naming why)
     * @param threads   worker threads of each of the two backends (0 = all processors)
     * @param weights   loads the weights onto the device backend
     * @param predictor what the scheduler knows about time (e.g. from a profile measured with {@link CpuSubtaskTimer})
     * @param kvType    KV element type of both pools
     */
    public static RealRunResult run(Engine engine, String backend, int threads, Function<Backend, LlamaWeights> weights,
                                    EngineBudgets budgets, Predictor predictor, List<RequestSpec> requests,
                                    RecordOptions records, DType kvType) {
        if (!"cpu".equals(backend)) {
            throw new IllegalArgumentException("real runs support backend cpu only, got '" + backend + "' (the cuda two-thread"
                    + " runtime is not implemented; use --backend sim for simulated GPUs)");
        }
        if (engine.launchSecPerStage() > 0) {
            throw new IllegalArgumentException("engine " + engine.id() + " asks for NEO's single-thread host runtime ("
                    + engine.launchSecPerStage() * 1000 + " ms launch per stage), which only the simulator models; the real"
                    + " executor is the two-thread runtime (for neo pass option runtime=two-thread)");
        }
        try (Backend device = Backends.open(backend, threads);
             Backend host = Backends.open(backend, threads);
             LlamaModel model = new LlamaModel(weights.apply(device), device);
             RealExecutor executor = new RealExecutor(model, host, budgets, kvType)) {
            RunResult result = new EngineLoop(engine, executor, backend, executor.geometry(), budgets, predictor, records, true)
                    .run(requests);
            Map<String, int[]> generated = executor.tokens();
            Map<String, int[]> ordered = new LinkedHashMap<>();
            for (RequestSpec r : requests) ordered.put(r.id(), generated.getOrDefault(r.id(), new int[0]));
            return new RealRunResult(result, ordered);
        }
    }
}
