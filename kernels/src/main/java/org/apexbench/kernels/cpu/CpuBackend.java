package org.apexbench.kernels.cpu;

import org.apexbench.kernels.BackendUnavailableException;

/** Placeholder until the CPU backend lands (issue 2). */
public final class CpuBackend {
    public CpuBackend(int threads) { throw new BackendUnavailableException("cpu backend not built yet"); }
}
