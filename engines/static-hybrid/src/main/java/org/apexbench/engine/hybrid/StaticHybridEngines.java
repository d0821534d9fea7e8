package org.apexbench.engine.hybrid;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineFactory;
import org.apexbench.engine.EngineOption;
import org.apexbench.engine.EngineOptions;

import java.util.List;

/**
 * Offers {@code static-hybrid:neo} (its options: {@link NeoOptions}), {@code static-hybrid:fastdecode} and
 * {@code static-hybrid:offload} (no options).
 */
public final class StaticHybridEngines implements EngineFactory {
    public static final String NEO = "static-hybrid:neo";
    public static final String FASTDECODE = "static-hybrid:fastdecode";
    public static final String OFFLOAD = "static-hybrid:offload";
    /** NEO's hard-coded CPU-side launch overhead per stage (swiftllm/perfpredictor.py:128). */
    public static final double NEO_LAUNCH_MS = 0.8;

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
                double lnch = single ? launchMs / 1000 : 0;
                yield new Engine(NEO, "static-hybrid:neo (NEO load-aware asymmetric pipelining, "
                        + (single ? "single-thread host runtime, launch " + launchMs + " ms/stage" : "two-thread runtime") + ")",
                        () -> new NeoScheduler(lnch), lnch);
            }
            case FASTDECODE -> new Engine(FASTDECODE, "static-hybrid:fastdecode (all decode attention on the CPU, symmetric halves)",
                    FastDecodeScheduler::new, 0);
            case OFFLOAD -> new Engine(OFFLOAD, "static-hybrid:offload (host KV attention on the CPU, GPU waits, no overlap)",
                    OffloadScheduler::new, 0);
            default -> throw new IllegalArgumentException("StaticHybridEngines does not offer engine " + id);
        };
    }
}
