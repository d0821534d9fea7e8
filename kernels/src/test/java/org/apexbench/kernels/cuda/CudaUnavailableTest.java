package org.apexbench.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import org.apexbench.kernels.BackendUnavailableException;
import org.apexbench.kernels.Backends;
import org.junit.jupiter.api.Test;

/** Asking for cuda where it cannot run is an error naming the reason, never a fallback. */
class CudaUnavailableTest {
    @Test
    void openWithoutDriverNamesTheMissingDriver() {
        assumeFalse(CudaTestSupport.driverLibraryPresent(), "this machine has a CUDA driver: the no-driver path cannot be shown here");
        var first = assertThrows(BackendUnavailableException.class, () -> CudaBackend.open(0));
        assertTrue(first.getMessage().contains("no CUDA driver"), first.getMessage());
        assertTrue(first.getMessage().contains("libcuda.so.1"), first.getMessage());
        // JCudaDriver's class init fails only once; later attempts must still say why, not NoClassDefFoundError.
        var again = assertThrows(BackendUnavailableException.class, () -> Backends.open("cuda", 0));
        assertEquals(first.getMessage(), again.getMessage());
    }
}
