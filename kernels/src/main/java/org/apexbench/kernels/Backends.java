package org.apexbench.kernels;

/**
 * Opens a backend by name. The cuda backend is reached only through reflection-free lazy
 * class loading inside {@code case "cuda"}, so a CPU-only JVM never loads a JCuda class.
 */
public final class Backends {
    private Backends() {}

    /**
     * @param name    "cpu" or "cuda"
     * @param threads worker threads for the cpu backend (0 = all available processors)
     */
    public static Backend open(String name, int threads) {
        return switch (name) {
            case "cpu" -> new org.apexbench.kernels.cpu.CpuBackend(threads);
            case "cuda" -> org.apexbench.kernels.cuda.CudaBackend.open(0);
            default -> throw new BackendUnavailableException("unknown backend '" + name + "': expected cpu or cuda");
        };
    }
}
