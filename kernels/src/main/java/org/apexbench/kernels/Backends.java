package org.apexbench.kernels;

import java.util.function.Supplier;

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

    /**
     * The memory of backend {@code name}'s device as its driver reports it now. Only cuda has device memory; the cpu
     * backend's pools are this machine's memory.
     *
     * @throws BackendUnavailableException when cuda cannot run here (the same reason {@link #open} gives)
     */
    public static DeviceMemory deviceMemory(String name) {
        return switch (name) {
            case "cuda" -> org.apexbench.kernels.cuda.CudaBackend.deviceMemory(0);
            case "cpu" -> throw new IllegalArgumentException("the cpu backend has no device memory: its pools are host memory");
            default -> throw new BackendUnavailableException("unknown backend '" + name + "': expected cpu or cuda");
        };
    }

    /**
     * Why backend {@code name} cannot run on this machine, or null when it opens (it is closed again): what the
     * GPU tests and checks skip on. See {@link #unavailableReason(Supplier)}.
     */
    public static String unavailableReason(String name) { return unavailableReason(() -> open(name, 1)); }

    /**
     * Opens a backend with {@code opener} and closes it: null when it opened, the message of the
     * {@link BackendUnavailableException} when it cannot run here (no driver, no device, no kernels in this build,
     * PTX newer than the driver). Any other failure is a broken backend, not an absent one, and propagates: a test
     * that skips on this reason can never turn a fault into a skip.
     */
    public static String unavailableReason(Supplier<? extends Backend> opener) {
        Backend opened;
        try {
            opened = opener.get();
        } catch (BackendUnavailableException e) {
            return e.getMessage();
        }
        opened.close();
        return null;
    }
}
