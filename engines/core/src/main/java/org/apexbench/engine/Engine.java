package org.apexbench.engine;

import java.util.function.Supplier;

/**
 * A configured engine: its id, a scheduler per run, and how its host side runs.
 *
 * @param id                 e.g. {@code gpu-only}, {@code static-hybrid:neo}, {@code apex}
 * @param description        what ran, with the options that matter, for reports
 * @param schedulers         a fresh scheduler for each run
 * @param launchSecPerStage  &gt; 0: NEO's faithful single-thread host runtime (each pipeline stage first
 *                           spends this long launching kernels on the thread that runs CPU attention);
 *                           0: the two-thread runtime (device thread + host-attention thread)
 * @param hostLoop           host time the engine's serving loop spends between two iterations with the GPU idle
 *                           (a synchronous loop's output processing, scheduling and input preparation): vLLM V0's
 *                           constant c0 ({@link HostLoopCost#perIteration}, docs/engines.md#gpu-only) or NEO/SwiftLLM's,
 *                           priced from each plan ({@link HostLoopCost#SWIFTLLM}); charged by the simulated executor
 *                           before each iteration, {@link HostLoopCost#NONE} = none
 */
public record Engine(String id, String description, Supplier<Scheduler> schedulers, double launchSecPerStage,
                     HostLoopCost hostLoop) {
    public Engine {
        if (!(launchSecPerStage >= 0)) throw new IllegalArgumentException("launchSecPerStage must be >= 0");
        if (hostLoop == null) throw new IllegalArgumentException("hostLoop must not be null (HostLoopCost.NONE for none)");
    }

    /** An engine whose serving loop costs nothing between iterations. */
    public Engine(String id, String description, Supplier<Scheduler> schedulers, double launchSecPerStage) {
        this(id, description, schedulers, launchSecPerStage, HostLoopCost.NONE);
    }

    /** Which host runtime this engine uses, for reports. */
    public String hostRuntime() { return launchSecPerStage > 0 ? "single-thread" : "two-thread"; }
}
