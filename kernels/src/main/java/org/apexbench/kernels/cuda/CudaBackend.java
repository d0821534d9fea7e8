package org.apexbench.kernels.cuda;

import org.apexbench.kernels.Backend;
import org.apexbench.kernels.BackendUnavailableException;

/** Placeholder until the CUDA backend lands (issue 3). */
public final class CudaBackend {
    public static Backend open(int device) { throw new BackendUnavailableException("cuda backend not built yet"); }
}
