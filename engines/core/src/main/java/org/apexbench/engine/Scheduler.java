package org.apexbench.engine;

import org.apexbench.workloads.RequestSpec;

/**
 * Scheduler SPI: decides each iteration's plan. Implementations live in the engine modules; one
 * instance serves one run (it may keep state across iterations). Must never over-commit the pools:
 * the engine loop checks every allocation and fails loudly naming the request.
 */
public interface Scheduler {
    /** Plans the next iteration. An empty plan is allowed only while nothing is runnable. */
    IterationPlan plan(SchedulerContext context);

    /**
     * What executing {@code plan} (the one this scheduler returned last) measured; called once per iteration,
     * before the next {@link #plan}. Schedulers that recalibrate their predictions from measured times use
     * it; the default ignores it.
     */
    default void observe(IterationPlan plan, IterationOutcome outcome) { }

    /**
     * Why this engine could never serve {@code r} with pools of {@code kv}'s sizes even alone, or null when it
     * can. The default demands that the request's peak KV fits the GPU pool (chunked prefill needs no more).
     */
    default String infeasibility(RequestSpec r, KvCapacity kv) {
        int blocks = kv.peakBlocks(r);
        if (blocks > kv.gpuBlocks()) {
            return "needs " + blocks + " GPU KV blocks (" + KvCapacity.peakTokens(r) + " tokens) but the GPU pool has "
                    + kv.gpuBlocks();
        }
        return null;
    }
}
