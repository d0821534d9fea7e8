package org.apexbench.harness;

import org.apexbench.kernels.Backends;

/** Whether this machine can run the cuda backend (the GPU tests' assumption), and if not, why. */
final class CudaProbe {
    private CudaProbe() {}

    /**
     * Why cuda cannot run here (e.g. "no CUDA driver ..."), or null when the backend opens. Only unavailability is a
     * reason ({@link Backends#unavailableReason}): a cuda backend that fails to open otherwise throws, failing the
     * test that asked instead of skipping it.
     */
    static String unavailableReason() { return Backends.unavailableReason("cuda"); }
}
