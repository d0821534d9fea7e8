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
 */
public record Engine(String id, String description, Supplier<Scheduler> schedulers, double launchSecPerStage) {
    public Engine {
        if (!(launchSecPerStage >= 0)) throw new IllegalArgumentException("launchSecPerStage must be >= 0");
    }

    /** Which host runtime this engine uses, for reports. */
    public String hostRuntime() { return launchSecPerStage > 0 ? "single-thread" : "two-thread"; }
}
