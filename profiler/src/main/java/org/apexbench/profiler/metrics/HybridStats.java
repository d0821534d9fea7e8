package org.apexbench.profiler.metrics;

import java.util.SortedMap;

/**
 * What hybrid CPU-GPU engines do differently, from the iteration records. Percentages are of
 * {@code activeSec}, the summed iteration durations (time the engine was iterating; idle gaps with no
 * request to serve are excluded so an open-loop run at low rate does not read as an idle GPU).
 *
 * @param iterations         number of iterations
 * @param activeSec          sum of iteration durations
 * @param gpuBusyPct         GPU busy time / active time
 * @param cpuAttnBusyPct     CPU attention busy time / active time
 * @param gpuStallSec        total time the GPU waited for CPU attention output
 * @param gpuStallPct        stall / active time
 * @param h2dBytes           bytes host to device (activations and swaps)
 * @param d2hBytes           bytes device to host
 * @param h2dGBps            h2dBytes / active time, in 1e9 bytes per second
 * @param d2hGBps            d2hBytes / active time
 * @param swapInBytes        KV bytes swapped in
 * @param swapOutBytes       KV bytes swapped out
 * @param strategyMix        fraction of iterations per strategy name (sorted by name)
 * @param predictedIterations iterations that carried a prediction
 * @param predictorMapePct   mean |predicted - measured| / measured over those, in percent (NaN if none)
 * @param cpuDecodeFraction  CPU-attention decode rows / all decode rows (NaN if no decodes)
 * @param maxGpuKvBlocks     peak GPU KV blocks in use
 * @param maxHostKvBlocks    peak host KV blocks in use
 */
public record HybridStats(long iterations, double activeSec, double gpuBusyPct, double cpuAttnBusyPct,
                          double gpuStallSec, double gpuStallPct, long h2dBytes, long d2hBytes, double h2dGBps,
                          double d2hGBps, long swapInBytes, long swapOutBytes, SortedMap<String, Double> strategyMix,
                          long predictedIterations, double predictorMapePct, double cpuDecodeFraction,
                          int maxGpuKvBlocks, int maxHostKvBlocks) {
    public HybridStats {
        strategyMix = java.util.Collections.unmodifiableSortedMap(new java.util.TreeMap<>(strategyMix));
    }
}
