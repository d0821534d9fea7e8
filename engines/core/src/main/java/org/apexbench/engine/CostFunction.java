package org.apexbench.engine;

import org.apexbench.profiler.Op;

/**
 * Duration of one subtask from its shape features, allocation-free (the simulator calls it for every
 * subtask kind of every iteration). Seconds per layer for PRE, POST and the attention ops; whole for
 * EMBED, LM_HEAD, copies and LAUNCH. Feature meanings follow the profiler's SubtaskFeatures: rows =
 * tokens of a linear op (launches for LAUNCH, new tokens for PREFILL_ATTN); requests = sequences or
 * transfers; contextTokens = summed attended context of decode attention; prefillPairs = attended
 * (query, key) pairs of prefill attention; bytes = bytes a copy moves.
 */
@FunctionalInterface
public interface CostFunction {
    double seconds(org.apexbench.profiler.Op op, int rows, int requests, long contextTokens, long prefillPairs, long bytes);

    /** Convenience for ops that only need rows. */
    default double linear(Op op, int rows) { return seconds(op, rows, 0, 0, 0, 0); }
}
