package org.apexbench.kernels.cuda;

/** The streams of a {@link CudaBackend}, one per role, so copies overlap compute (docs/architecture.md#kernels). */
public enum StreamRole {
    /** Every op (kernel), device-to-device copy and metadata upload, in program order. */
    COMPUTE,
    /** Host-to-device copies of bulk data (weights, swapped-in KV). */
    H2D,
    /** Device-to-host copies (results, swapped-out KV, q/k/v for host attention). */
    D2H
}
