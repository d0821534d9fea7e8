package org.apexbench.engine.hybrid;

import org.apexbench.engine.EngineOption;
import org.apexbench.engine.EngineOptions;

import java.util.List;

/**
 * NEO's knobs ({@code static-hybrid:neo}).
 *
 * @param singleThread NEO's faithful single-thread host runtime (false: the two-thread runtime)
 * @param launchMs        the CPU-side launch charge per stage NEO's scheduler predicts with (single-thread runtime), ms
 * @param runtimeLaunchMs what a stage's launches cost NEO's real single-thread runtime, ms
 * @param hostLoop        whether the serving loop's host time between iterations is charged ({@link
 *                        org.apexbench.engine.HostLoopCost#SWIFTLLM})
 */
public record NeoOptions(boolean singleThread, double launchMs, double runtimeLaunchMs, boolean hostLoop) {
    static final EngineOption RUNTIME = EngineOption.choice("runtime", "single-thread", List.of("single-thread", "two-thread"),
            "NEO's faithful single-thread host runtime, or the two-thread runtime the other hybrid engines use");
    static final EngineOption LAUNCH_MS = EngineOption.number("launchMs", StaticHybridEngines.NEO_LAUNCH_MS, 0, true,
            Double.POSITIVE_INFINITY, true, "CPU-side launch charge per stage on the single-thread runtime (NEO's hard-coded 0.8)");
    static final EngineOption RUNTIME_LAUNCH_MS = EngineOption.number("runtimeLaunchMs", StaticHybridEngines.NEO_RUNTIME_LAUNCH_MS,
            0, false, Double.POSITIVE_INFINITY, false, "what a stage's launches cost NEO's single-thread runtime (NEO paper: 0.3); "
                    + "runtime=two-thread is the runtime without launch cost on the attention thread");
    static final EngineOption HOST_LOOP = EngineOption.flag("hostLoop", true,
            "NEO/SwiftLLM's serving-loop host time between iterations (scheduling, block tables, inputs, outputs), measured "
                    + "by running NEO's control plane (docs/engines.md#neo); false: a loop that costs nothing");
    /** What {@code static-hybrid:neo} accepts. */
    static final List<EngineOption> OPTIONS = List.of(RUNTIME, LAUNCH_MS, RUNTIME_LAUNCH_MS, HOST_LOOP);

    public NeoOptions {
        if (!(launchMs >= 0) || Double.isInfinite(launchMs)) throw new IllegalArgumentException("launchMs must be >= 0, got " + launchMs);
        if (!(runtimeLaunchMs > 0) || Double.isInfinite(runtimeLaunchMs)) {
            throw new IllegalArgumentException("runtimeLaunchMs must be > 0, got " + runtimeLaunchMs);
        }
    }

    /** The options {@code o} gives (each absent one at its default); unknown keys and values out of bounds are errors. */
    static NeoOptions from(EngineOptions o) {
        o.requireKnown(StaticHybridEngines.NEO, OPTIONS);
        return new NeoOptions(o.choice(RUNTIME).equals("single-thread"), o.number(LAUNCH_MS), o.number(RUNTIME_LAUNCH_MS),
                o.flag(HOST_LOOP));
    }
}
