package org.apexbench.engine.gpuonly;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineFactory;
import org.apexbench.engine.EngineOption;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.HostLoopCost;

import java.util.List;
import java.util.Locale;

/**
 * Offers {@code gpu-only}; options {@code preemption=recompute|swap} (default recompute, as vLLM) and
 * {@code frameworkOverhead=true|false} (default true: vLLM's per-iteration host overhead, {@link #FRAMEWORK_MS};
 * false: an idealised engine whose GPU never waits for its serving loop) and {@code loop=vllm-v0|swiftllm} (whose loop
 * that overhead is: vLLM V0's c0, or SwiftLLM's, {@link HostLoopCost#SWIFTLLM}, where gpu-only stands for NEO's
 * GPU-only baseline, SwiftLLM's {@code --always-use-gpu} mode).
 */
public final class GpuOnlyEngines implements EngineFactory {
    public static final String ID = "gpu-only";
    /**
     * vLLM V0's per-iteration framework overhead c0, ms: the GPU bubble between decode steps (the synchronous engine
     * loop's host work and the API server in the same process) in the profiler trace of vLLM RFC #6854 (v0.5.x, July
     * 2024), about 4 ms per step (the RFC states 5-13 ms); vLLM 0.6.x's engine-side part, timed, is ~0.4 ms of it
     * (docs/decisions.md, twelfth pass); docs/engines.md#gpu-only.
     */
    public static final double FRAMEWORK_MS = 4.0;

    @Override
    public List<String> ids() { return List.of(ID); }

    /** gpu-only's options. */
    static final EngineOption PREEMPTION = EngineOption.choice("preemption", "recompute", List.of("recompute", "swap"),
            "what a preempted request's KV becomes: recomputed when it resumes (vLLM's default) or swapped to the host pool");
    static final EngineOption SCHEDULER = EngineOption.choice("scheduler", "vllm-v0", List.of("vllm-v0", "exact"),
            "vllm-v0: vLLM V0's chunked-prefill scheduler (a free block per block a running request touches, else the newest is "
            + "preempted; admission even in a step that preempts); exact: preempt only for blocks actually needed, admit "
            + "nothing in a step that preempts");
    static final EngineOption FRAMEWORK_OVERHEAD = EngineOption.flag("frameworkOverhead", true,
            "vLLM V0's per-iteration serving-loop overhead (" + FRAMEWORK_MS + " ms, vLLM RFC #6854); false: an idealised engine");

    static final EngineOption LOOP = EngineOption.choice("loop", "vllm-v0", List.of("vllm-v0", "swiftllm"),
            "whose serving loop the framework overhead is: vLLM V0's (" + FRAMEWORK_MS + " ms per iteration) or SwiftLLM's "
            + "(NEO's GPU-only baseline; priced per plan, measured by running NEO's control plane, docs/engines.md#gpu-only)");

    @Override
    public List<EngineOption> options(String id) {
        if (!ID.equals(id)) throw new IllegalArgumentException("GpuOnlyEngines does not offer engine " + id);
        return List.of(PREEMPTION, SCHEDULER, FRAMEWORK_OVERHEAD, LOOP);
    }

    @Override
    public Engine create(String id, EngineOptions options) {
        options.requireKnown(id, options(id));
        GpuOnlyScheduler.Preemption p = GpuOnlyScheduler.Preemption.valueOf(options.choice(PREEMPTION).toUpperCase(Locale.ROOT));
        boolean overhead = options.flag(FRAMEWORK_OVERHEAD);
        boolean swiftllm = options.choice(LOOP).equals("swiftllm");
        if (!overhead && options.values().containsKey(LOOP.key())) {
            throw new IllegalArgumentException("gpu-only: loop=" + options.choice(LOOP) + " names the loop whose overhead "
                    + "frameworkOverhead=false turns off; give one of them");
        }
        boolean v0 = options.choice(SCHEDULER).equals("vllm-v0");
        return new Engine(ID, "gpu-only (vLLM-like, chunked prefill, FCFS, preemption=" + p.name().toLowerCase(Locale.ROOT)
                + ", scheduler=" + options.choice(SCHEDULER)
                + (!overhead ? ", no framework overhead" : swiftllm ? ", SwiftLLM's serving-loop host time"
                        : ", framework overhead " + FRAMEWORK_MS + " ms/iteration") + ")",
                v0 ? () -> new VllmV0Scheduler(p) : () -> new GpuOnlyScheduler(p), 0,
                !overhead ? HostLoopCost.NONE : swiftllm ? HostLoopCost.SWIFTLLM : HostLoopCost.perIteration(FRAMEWORK_MS / 1000));
    }
}
