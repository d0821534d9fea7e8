package org.apexbench.harness;

import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;

/** Whether this machine can run the cuda backend (the GPU tests' assumption), and if not, why. */
final class CudaProbe {
    private static final String REASON = probe();

    private CudaProbe() {}

    /** Why cuda cannot run here (e.g. "no CUDA driver ..."), or null when the backend opens. */
    static String unavailableReason() { return REASON; }

    private static String probe() {
        try (Backend b = Backends.open("cuda", 0)) {
            return null;
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }
}
