package org.apexbench.kernels;

/**
 * The device's queues of work in the hybrid runtime (docs/architecture.md#real-executor): compute, and one copy engine each way.
 * On cuda each lane is a stream ({@code StreamRole}); on cpu everything runs on the calling thread.
 */
public enum Lane {
    COMPUTE,
    /** Host-to-device copies (swap-ins, attention outputs of host rows). */
    H2D,
    /** Device-to-host copies (swap-outs, q/k/v of host rows). */
    D2H
}
