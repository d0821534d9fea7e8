package org.apexbench.engine.hybrid;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineFactory;
import org.apexbench.engine.EngineOption;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.HostLoopCost;

import java.util.List;

/**
 * Offers {@code static-hybrid:neo} (its options: {@link NeoOptions}; NEO's scheduler predicts with {@code launchMs}
 * per stage while its runtime pays {@code runtimeLaunchMs}: separate components, docs/engines.md#neo,
 * docs/decisions.md), {@code static-hybrid:fastdecode} and {@code static-hybrid:offload} (no options).
 */
public final class StaticHybridEngines implements EngineFactory {
    public static final String NEO = "static-hybrid:neo";
    public static final String FASTDECODE = "static-hybrid:fastdecode";
    public static final String OFFLOAD = "static-hybrid:offload";
    /** NEO's hard-coded CPU-side launch overhead per stage in its scheduler's prediction (swiftllm/perfpredictor.py:128). */
    public static final double NEO_LAUNCH_MS = 0.8;
    /**
     * What launching one stage's kernels costs NEO's host thread: NEO's paper reports that rewriting its small Triton
     * kernels in CUDA cut launch overhead from 1.2 to 0.6 ms per layer, i.e. 0.3 ms per stage (two stages per layer).
     */
    public static final double NEO_RUNTIME_LAUNCH_MS = 0.3;

    @Override
    public List<String> ids() { return List.of(NEO, FASTDECODE, OFFLOAD); }

    @Override
    public List<EngineOption> options(String id) {
        return switch (id) {
            case NEO -> NeoOptions.OPTIONS;
            case FASTDECODE, OFFLOAD -> List.of();
            default -> throw new IllegalArgumentException("StaticHybridEngines does not offer engine " + id);
        };
    }

    @Override
    public Engine create(String id, EngineOptions options) {
        options.requireKnown(id, options(id));
        return switch (id) {
            case NEO -> {
                NeoOptions neo = NeoOptions.from(options);
                boolean single = neo.singleThread();
                double launchMs = neo.launchMs();
                double runtimeLaunchMs = neo.runtimeLaunchMs();
                double lnch = single ? launchMs / 1000 : 0;
                double runtimeLaunch = single ? runtimeLaunchMs / 1000 : 0;
                // both runtimes run NEO's synchronous serving loop between iterations (swiftllm/server/engine.py)
                HostLoopCost loop = neo.hostLoop() ? HostLoopCost.SWIFTLLM : HostLoopCost.NONE;
                yield new Engine(NEO, "static-hybrid:neo (NEO load-aware asymmetric pipelining, "
                        + (single ? "single-thread host runtime, launches " + runtimeLaunchMs + " ms/stage, predicted as "
                        + launchMs + " ms/stage" : "two-thread runtime")
                        + (neo.hostLoop() ? ", NEO's serving-loop host time" : ", no serving-loop host time") + ")",
                        () -> new NeoScheduler(lnch), runtimeLaunch, loop);
            }
            case FASTDECODE -> new Engine(FASTDECODE, "static-hybrid:fastdecode (all decode attention on the CPU, symmetric halves)",
                    FastDecodeScheduler::new, 0);
            case OFFLOAD -> new Engine(OFFLOAD, "static-hybrid:offload (host KV attention on the CPU, GPU waits, no overlap)",
                    OffloadScheduler::new, 0);
            default -> throw new IllegalArgumentException("StaticHybridEngines does not offer engine " + id);
        };
    }
}
