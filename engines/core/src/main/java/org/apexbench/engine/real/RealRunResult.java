package org.apexbench.engine.real;

import java.util.LinkedHashMap;
import java.util.Map;

import org.apexbench.engine.runtime.RunResult;

/**
 * A run on the real model: the engine loop's records plus the token ids every request generated.
 *
 * @param result the run's records (executor = the backend name)
 * @param tokens request id -&gt; generated token ids, in the input list's order
 * @param device the device backend's own description (cuda: GPU, driver, kernels build; cpu: vector species, threads)
 */
public record RealRunResult(RunResult result, Map<String, int[]> tokens, String device) {
    public RealRunResult {
        tokens = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tokens));
    }
}
