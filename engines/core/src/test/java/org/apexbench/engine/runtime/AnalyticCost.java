package org.apexbench.engine.runtime;

import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.SubtaskTimer;

/**
 * A small closed-form cost function: linear layers take max(weight bytes / GPU bandwidth, flops /
 * GPU flops) plus a launch; decode attention streams KV at the GPU's or the host's bandwidth; copies
 * pay bandwidth plus a latency per transfer: predictable "hardware" for tests (the profiler's roofline
 * model is the full one).
 *
 * @param layerWeightBytes        weight bytes of one layer (pre + post)
 * @param linearFlopsPerToken     flops of one layer's linear parts per token
 * @param attnFlopsPerPair        attention flops per (query, key) pair per layer
 * @param kvBytesPerTokenPerLayer K+V bytes of one token in one layer
 * @param headBytes               LM head weight bytes
 * @param gpuBytesPerSec          effective GPU memory bandwidth
 * @param gpuFlopsPerSec          effective GPU tensor flops
 * @param cpuBytesPerSec          effective host bandwidth for CPU attention
 * @param pcieBytesPerSec         PCIe bandwidth per direction
 * @param copyLatencySec          per-transfer latency
 * @param launchSec               per-kernel launch overhead
 * @param cpuCallSec              fixed cost of one CPU attention call
 */
public record AnalyticCost(double layerWeightBytes, double linearFlopsPerToken, double attnFlopsPerPair,
                           double kvBytesPerTokenPerLayer, double headBytes, double gpuBytesPerSec, double gpuFlopsPerSec,
                           double cpuBytesPerSec, double pcieBytesPerSec, double copyLatencySec, double launchSec,
                           double cpuCallSec) implements SubtaskTimer {
    private static final double PRE_SHARE = 0.3;

    @Override
    public double seconds(Op op, SubtaskFeatures f) {
        int rows = f.rows(), requests = f.requests();
        long contextTokens = f.contextTokens(), prefillPairs = f.prefillPairs(), bytes = f.bytes();
        return switch (op) {
            case PRE -> PRE_SHARE * linearAll(rows) + 3 * launchSec;
            case POST -> (1 - PRE_SHARE) * linearAll(rows) + 5 * launchSec;
            case EMBED -> launchSec;
            case LM_HEAD -> Math.max(headBytes / gpuBytesPerSec, 2 * rows * headBytes / 2 / gpuFlopsPerSec) + 2 * launchSec;
            case PREFILL_ATTN -> prefillPairs * attnFlopsPerPair / gpuFlopsPerSec + launchSec;
            case GPU_DECODE_ATTN -> contextTokens * kvBytesPerTokenPerLayer / gpuBytesPerSec + launchSec;
            case CPU_DECODE_ATTN -> contextTokens * kvBytesPerTokenPerLayer / cpuBytesPerSec + cpuCallSec;
            case QKV_D2H, ATTN_OUT_H2D, SWAP_IN, SWAP_OUT -> bytes / pcieBytesPerSec + Math.max(1, requests) * copyLatencySec;
            case LAUNCH -> Math.max(1, rows) * launchSec;
        };
    }

    private double linearAll(int rows) {
        return Math.max(layerWeightBytes / gpuBytesPerSec, rows * linearFlopsPerToken / gpuFlopsPerSec);
    }
}
