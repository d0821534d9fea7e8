package org.apexbench.model;

import java.util.List;

import org.apexbench.kernels.DeviceBuffer;

/**
 * Some sequences of one {@link ForwardBatch}, all living in the same KV pool, whose attention one
 * call of {@link LlamaModel#attention} computes. Engines split a batch into subsets to run the
 * attention of GPU-resident and host-resident sequences on different pools and threads.
 * Immutable; built once per batch (not per layer) by {@link ForwardBatch#subset}.
 *
 * @param batch      the batch whose rows these are
 * @param pool       index into the batch's pools
 * @param prefill    sequences with several new tokens (causal attention over their paged context)
 * @param decodeRuns sequences with one new token, grouped in runs of consecutive batch rows so each run
 *                   is one paged decode-attention call
 */
public record AttentionSubset(ForwardBatch batch, int pool, List<Prefill> prefill, List<DecodeRun> decodeRuns) {

    /**
     * Sequence {@code sequence}'s {@code rows} new tokens at rows {@code firstRow ..} and positions
     * {@code startPos ..}; {@code q} and {@code out} are those rows of the batch's queries and
     * attention output (views made once per step, so layers allocate nothing).
     */
    public record Prefill(int sequence, int firstRow, int rows, int startPos, int[] blockTable, DeviceBuffer q,
                          DeviceBuffer out) {}

    /**
     * Decode sequences occupying rows {@code firstRow .. firstRow + count - 1}; row i attends to the
     * first {@code contextLens[i]} positions of the blocks {@code blockTables[i]}. {@code q} and
     * {@code out} are views of those rows of the batch's queries and attention output.
     */
    public record DecodeRun(int firstRow, int count, int[][] blockTables, int[] contextLens, DeviceBuffer q,
                            DeviceBuffer out) {}

    /** Number of sequences. */
    public int size() {
        int n = prefill.size();
        for (DecodeRun r : decodeRuns) n += r.count();
        return n;
    }
}
