package org.apexbench.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Host-side logic of the cuda layer that needs no driver: size limits, pool classes, error texts. */
class CudaHostSideTest {
    @Test
    void pinnedBuffersStayBelowTwoGiB() {
        var e = assertThrows(IllegalArgumentException.class, () -> new PinnedHostBuffer(2L << 30));
        assertTrue(e.getMessage().contains("split larger regions"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new PinnedHostBuffer(0));
    }

    @Test
    void poolRoundsToAlignedClassesAndRejectsEmptyRequests() {
        assertEquals(256, DeviceMemoryPool.sizeClass(1));
        assertEquals(4096, DeviceMemoryPool.sizeClass(4000));
        assertEquals(8L << 20, DeviceMemoryPool.sizeClass(8L << 20));
        assertEquals((9L << 20) + 256, DeviceMemoryPool.sizeClass((9L << 20) + 1), "large requests: own allocation, 256-byte rounded");
        try (DeviceMemoryPool pool = new DeviceMemoryPool()) {
            var e = assertThrows(IllegalArgumentException.class, () -> pool.allocate(0));
            assertTrue(e.getMessage().contains("must be positive"), e.getMessage());
        }
    }

    @Test
    void unsupportedPtxNamesBothVersionsAndTheRemedy() {
        Properties build = new Properties();
        build.setProperty("nvcc", "release 13.0, V13.0.88");
        build.setProperty("ptx.isa", "9.0");
        String m = KernelModules.unsupportedPtx(build, 12040, "PTX module 'gemm'");
        assertTrue(m.contains("CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222)"), m);
        assertTrue(m.contains("PTX ISA 9.0") && m.contains("nvcc release 13.0"), m);
        assertTrue(m.contains("driver CUDA 12.4"), m);
        assertTrue(m.contains("Update the NVIDIA driver") && m.contains("-Dapex.ptx.isa"), m);
    }

    @Test
    void driverVersionsPrintAsMajorMinor() {
        assertEquals("12.8", CudaDevice.versionString(12080));
        assertEquals("13.0", CudaDevice.versionString(13000));
    }
}
