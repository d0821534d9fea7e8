package org.apexbench.profiler;

/**
 * One engine iteration. Times are seconds since the run's start.
 *
 * @param iteration       index from 0
 * @param startSec        when the iteration's first subtask could start
 * @param endSec          when its last subtask finished
 * @param strategy        the dispatch strategy (e.g. GPU_ONLY, ASYNC_OVERLAP, ASYMMETRIC_PIPELINE)
 * @param prefillTokens   prompt tokens processed
 * @param gpuDecodes      decode rows whose attention ran on the GPU
 * @param cpuDecodes      decode rows whose attention ran on the CPU
 * @param predictedSec    the scheduler's predicted duration, NaN when it made none
 * @param gpuBusySec      time the GPU resource was busy
 * @param cpuBusySec      time the CPU attention resource was busy
 * @param gpuStallSec     time the GPU sat idle waiting for CPU attention output
 * @param h2dBytes        bytes copied host to device (activations and swaps)
 * @param d2hBytes        bytes copied device to host
 * @param swapInBytes     KV bytes swapped in (included in h2dBytes)
 * @param swapOutBytes    KV bytes swapped out (included in d2hBytes)
 * @param gpuKvBlocksUsed GPU KV blocks in use after the iteration
 * @param hostKvBlocksUsed host KV blocks in use after the iteration
 * @param running         requests holding KV after the iteration
 * @param waiting         requests queued (arrived, no KV) after the iteration
 */
public record IterationRecord(long iteration, double startSec, double endSec, String strategy, int prefillTokens,
                              int gpuDecodes, int cpuDecodes, double predictedSec, double gpuBusySec,
                              double cpuBusySec, double gpuStallSec, long h2dBytes, long d2hBytes, long swapInBytes,
                              long swapOutBytes, int gpuKvBlocksUsed, int hostKvBlocksUsed, int running, int waiting) {
    public double durationSec() { return endSec - startSec; }
}
