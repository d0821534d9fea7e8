package org.apexbench.engine.hybrid;

import org.apexbench.engine.EngineOption;
import org.apexbench.engine.EngineOptions;

import java.util.List;

/**
 * NEO's knobs ({@code static-hybrid:neo}).
 *
 * @param singleThread NEO's faithful single-thread host runtime (false: the two-thread runtime)
 * @param launchMs     NEO's CPU-side launch charge per stage on the single-thread runtime, ms
 */
public record NeoOptions(boolean singleThread, double launchMs) {
    static final EngineOption RUNTIME = EngineOption.choice("runtime", "single-thread", List.of("single-thread", "two-thread"),
            "NEO's faithful single-thread host runtime, or the two-thread runtime the other hybrid engines use");
    static final EngineOption LAUNCH_MS = EngineOption.number("launchMs", StaticHybridEngines.NEO_LAUNCH_MS, 0, true,
            Double.POSITIVE_INFINITY, true, "CPU-side launch charge per stage on the single-thread runtime (NEO's hard-coded 0.8)");
    /** What {@code static-hybrid:neo} accepts. */
    static final List<EngineOption> OPTIONS = List.of(RUNTIME, LAUNCH_MS);

    public NeoOptions {
        if (!(launchMs >= 0) || Double.isInfinite(launchMs)) throw new IllegalArgumentException("launchMs must be >= 0, got " + launchMs);
    }

    /** The options {@code o} gives (each absent one at its default); unknown keys and values out of bounds are errors. */
    static NeoOptions from(EngineOptions o) {
        o.requireKnown(StaticHybridEngines.NEO, OPTIONS);
        return new NeoOptions(o.choice(RUNTIME).equals("single-thread"), o.number(LAUNCH_MS));
    }
}
