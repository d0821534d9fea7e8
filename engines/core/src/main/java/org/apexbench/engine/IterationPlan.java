package org.apexbench.engine;

import java.util.List;

/**
 * What one iteration does (docs/architecture.md#the-iteration-plan): which requests advance, where each one's attention runs,
 * which swaps and preemptions happen first, and the dispatch strategy.
 *
 * @param prefills                 prefill chunks (GPU attention; KV to the chunk's pool)
 * @param gpuDecodes               decodes of GPU-resident requests
 * @param cpuDecodes               decodes of host-resident requests (attention on the CPU)
 * @param cpuDecodesInFirstSubBatch pipelined strategies: the first this-many CPU decodes belong to sub-batch
 *                                 B0 (with all prefills and GPU decodes), the rest to B1; ignored otherwise
 * @param swapOut                  GPU -> host whole-request swaps, done before the layer stack
 * @param swapIn                   host -> GPU whole-request swaps, done before the layer stack
 * @param recompute                requests preempted by recompute (KV dropped, back to the waiting queue)
 * @param strategy                 dispatch strategy
 * @param predictedSec             the scheduler's predicted iteration time, NaN when it made none
 */
public record IterationPlan(List<PrefillChunk> prefills, List<RequestState> gpuDecodes, List<RequestState> cpuDecodes,
                            int cpuDecodesInFirstSubBatch, List<RequestState> swapOut, List<RequestState> swapIn,
                            List<RequestState> recompute, Strategy strategy, double predictedSec) {
    public IterationPlan {
        prefills = List.copyOf(prefills);
        gpuDecodes = List.copyOf(gpuDecodes);
        cpuDecodes = List.copyOf(cpuDecodes);
        swapOut = List.copyOf(swapOut);
        swapIn = List.copyOf(swapIn);
        recompute = List.copyOf(recompute);
        if (strategy == Strategy.GPU_ONLY && !cpuDecodes.isEmpty()) {
            throw new IllegalArgumentException("a GPU_ONLY plan cannot hold CPU decodes (" + cpuDecodes.size() + ")");
        }
        if (cpuDecodesInFirstSubBatch < 0 || cpuDecodesInFirstSubBatch > cpuDecodes.size()) {
            throw new IllegalArgumentException("sub-batch split " + cpuDecodesInFirstSubBatch + " outside 0.." + cpuDecodes.size());
        }
    }

    /** A plan doing nothing but swaps/preemptions (or nothing at all). */
    public boolean advancesNothing() { return prefills.isEmpty() && gpuDecodes.isEmpty() && cpuDecodes.isEmpty(); }

    /** Requests advanced: each prefill chunk and each decode counts one. */
    public int rowsAdvanced() { return prefills.size() + gpuDecodes.size() + cpuDecodes.size(); }

    /** Prompt tokens processed by the prefill chunks. */
    public int prefillTokens() {
        int t = 0;
        for (PrefillChunk c : prefills) t += c.length();
        return t;
    }
}
