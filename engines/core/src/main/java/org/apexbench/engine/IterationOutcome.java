package org.apexbench.engine;

/**
 * What executing one plan produced.
 *
 * @param endSec       when the iteration's last subtask finished
 * @param gpuBusySec   GPU busy time
 * @param cpuBusySec   CPU attention busy time
 * @param gpuStallSec  time the GPU waited for CPU attention (or the host launch thread)
 * @param h2dBytes     bytes host to device (activations and swaps)
 * @param d2hBytes     bytes device to host
 * @param swapInBytes  KV swapped in
 * @param swapOutBytes KV swapped out (including CPU-prefill KV streamed to the host)
 * @param sampled      token ids sampled per advanced row in plan order (prefills that complete, GPU
 *                     decodes, CPU decodes), or null when the executor computes no tokens (sim)
 */
public record IterationOutcome(double endSec, double gpuBusySec, double cpuBusySec, double gpuStallSec, long h2dBytes,
                               long d2hBytes, long swapInBytes, long swapOutBytes, int[] sampled) {
}
