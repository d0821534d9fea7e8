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
     * Why this engine could never serve {@code r} under {@code budgets} even alone, or null when it can.
     * The default demands that the request's peak KV fits the GPU pool and its first prefill chunk the
     * token budget (chunked prefill).
     */
    default String infeasibility(RequestSpec r, EngineBudgets budgets) {
        long peak = (long) r.promptLength() + r.outputTokens() - 1;
        int blocks = budgets.blocksFor(peak);
        if (blocks > budgets.gpuKvBlocks()) {
            return "needs " + blocks + " GPU KV blocks (" + peak + " tokens) but the GPU pool has " + budgets.gpuKvBlocks();
        }
        return null;
    }
}
