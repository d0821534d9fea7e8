package org.apexbench.engine.gpuonly;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineFactory;
import org.apexbench.engine.EngineOptions;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Offers {@code gpu-only}; option {@code preemption=recompute|swap} (default recompute, as vLLM). */
public final class GpuOnlyEngines implements EngineFactory {
    public static final String ID = "gpu-only";

    @Override
    public List<String> ids() { return List.of(ID); }

    @Override
    public Set<String> options(String id) {
        if (!ID.equals(id)) throw new IllegalArgumentException("GpuOnlyEngines does not offer engine " + id);
        return Set.of("preemption");
    }

    @Override
    public Engine create(String id, EngineOptions options) {
        options.requireKnown(id, options(id));
        GpuOnlyScheduler.Preemption p = GpuOnlyScheduler.Preemption.valueOf(
                options.choice("preemption", "recompute", Set.of("recompute", "swap")).toUpperCase(Locale.ROOT));
        return new Engine(ID, "gpu-only (vLLM-like, chunked prefill, FCFS, preemption=" + p.name().toLowerCase(Locale.ROOT) + ")",
                () -> new GpuOnlyScheduler(p), 0);
    }
}
