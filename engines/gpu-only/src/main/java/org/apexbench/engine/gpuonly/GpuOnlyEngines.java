package org.apexbench.engine.gpuonly;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineFactory;
import org.apexbench.engine.EngineOption;
import org.apexbench.engine.EngineOptions;

import java.util.List;
import java.util.Locale;

/** Offers {@code gpu-only}; option {@code preemption=recompute|swap} (default recompute, as vLLM). */
public final class GpuOnlyEngines implements EngineFactory {
    public static final String ID = "gpu-only";

    @Override
    public List<String> ids() { return List.of(ID); }

    /** gpu-only's one option. */
    static final EngineOption PREEMPTION = EngineOption.choice("preemption", "recompute", List.of("recompute", "swap"),
            "what a preempted request's KV becomes: recomputed when it resumes (vLLM's default) or swapped to the host pool");

    @Override
    public List<EngineOption> options(String id) {
        if (!ID.equals(id)) throw new IllegalArgumentException("GpuOnlyEngines does not offer engine " + id);
        return List.of(PREEMPTION);
    }

    @Override
    public Engine create(String id, EngineOptions options) {
        options.requireKnown(id, options(id));
        GpuOnlyScheduler.Preemption p = GpuOnlyScheduler.Preemption.valueOf(options.choice(PREEMPTION).toUpperCase(Locale.ROOT));
        return new Engine(ID, "gpu-only (vLLM-like, chunked prefill, FCFS, preemption=" + p.name().toLowerCase(Locale.ROOT) + ")",
                () -> new GpuOnlyScheduler(p), 0);
    }
}
