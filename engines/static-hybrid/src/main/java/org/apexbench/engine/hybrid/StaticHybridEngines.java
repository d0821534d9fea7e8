package org.apexbench.engine.hybrid;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineFactory;
import org.apexbench.engine.EngineOptions;

import java.util.List;
import java.util.Set;

/**
 * Offers {@code static-hybrid:neo} (options: {@code runtime=single-thread|two-thread}, default
 * single-thread = NEO's faithful runtime; {@code launchMs}, default 0.8, NEO's per-stage launch
 * charge), {@code static-hybrid:fastdecode} and {@code static-hybrid:offload}.
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
    public Set<String> options(String id) {
        return switch (id) {
            case NEO -> Set.of("runtime", "launchMs");
            case FASTDECODE, OFFLOAD -> Set.of();
            default -> throw new IllegalArgumentException("StaticHybridEngines does not offer engine " + id);
        };
    }

    @Override
    public Engine create(String id, EngineOptions options) {
        options.requireKnown(id, options(id));
        return switch (id) {
            case NEO -> {
                boolean single = options.choice("runtime", "single-thread", Set.of("single-thread", "two-thread"))
                        .equals("single-thread");
                double launchMs = options.number("launchMs", NEO_LAUNCH_MS);
                if (!(launchMs >= 0)) throw new IllegalArgumentException("option launchMs must be >= 0, got " + launchMs);
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
