package org.apexbench.kernels.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;

import org.apexbench.kernels.Backends;

/** Probes used by the cuda tests to decide what this machine can run, without loading JCuda. */
final class CudaTestSupport {
    private CudaTestSupport() {}

    /** True when the NVIDIA driver library can be loaded (checked through FFM, not JCuda). */
    @SuppressWarnings("restricted")  // a library lookup; tests run with --enable-native-access
    static boolean driverLibraryPresent() {
        try {
            SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** True when this jar was built with nvcc (its PTX modules are packaged). */
    static boolean kernelsBuilt() {
        return !KernelModules.buildInfo().getProperty("kernels", "").isBlank();
    }

    /**
     * Why a GPU test cannot run here, or null when it can (driver + kernels + a device that opens). Only
     * unavailability is a reason ({@link Backends#unavailableReason}); a backend that fails to open for another
     * reason throws, so the test fails instead of skipping.
     */
    static String gpuUnavailableReason() {
        if (!driverLibraryPresent()) return "no CUDA driver (libcuda.so.1) on this machine";
        if (!kernelsBuilt()) return "this build has no CUDA kernels (built without nvcc)";
        return Backends.unavailableReason(() -> CudaBackend.openCuda(0));
    }
}
