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
 * @param frameworkSecPerIteration host time the engine's framework spends between two iterations with the GPU idle
 *                           (a synchronous serving loop's output processing, scheduling and input preparation; vLLM V0:
 *                           docs/engines.md#gpu-only); charged by the simulated executor before each iteration, 0 = none
 * @param hostLoop           the same kind of host time priced from each iteration's plan (NEO/SwiftLLM's loop:
 *                           {@link HostLoopCost#SWIFTLLM}); charged in addition, {@link HostLoopCost#NONE} = none
 */
public record Engine(String id, String description, Supplier<Scheduler> schedulers, double launchSecPerStage,
                     double frameworkSecPerIteration, HostLoopCost hostLoop) {
    public Engine {
        if (!(launchSecPerStage >= 0)) throw new IllegalArgumentException("launchSecPerStage must be >= 0");
        if (!(frameworkSecPerIteration >= 0) || Double.isInfinite(frameworkSecPerIteration)) {
            throw new IllegalArgumentException("frameworkSecPerIteration must be finite and >= 0");
        }
        if (hostLoop == null) throw new IllegalArgumentException("hostLoop must not be null (HostLoopCost.NONE for none)");
    }

    /** An engine whose loop costs a constant per iteration (or nothing). */
    public Engine(String id, String description, Supplier<Scheduler> schedulers, double launchSecPerStage,
                  double frameworkSecPerIteration) {
        this(id, description, schedulers, launchSecPerStage, frameworkSecPerIteration, HostLoopCost.NONE);
    }

    /** An engine without per-iteration framework overhead. */
    public Engine(String id, String description, Supplier<Scheduler> schedulers, double launchSecPerStage) {
        this(id, description, schedulers, launchSecPerStage, 0);
    }

    /** Which host runtime this engine uses, for reports. */
    public String hostRuntime() { return launchSecPerStage > 0 ? "single-thread" : "two-thread"; }
}
