package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceMemory;
import org.apexbench.model.ModelConfig;
import org.apexbench.model.ModelPresets;
import org.junit.jupiter.api.Test;

/**
 * cuda real runs check weights + GPU KV pool + activations against the memory the device reports free, before any
 * weight is loaded (issue: an absurd --gpu-kv-blocks must be refused up front). The device's report is given here, so
 * the rule is checked on any machine; CudaGpuTest checks the report itself on a GPU.
 */
class DeviceMemoryCheckTest {
    private static final ModelConfig LLAMA2 = ModelPresets.config("llama-2-7b");
    private static final long GIB = 1L << 30;

    private static EngineBudgets pool(int gpuBlocks) { return new EngineBudgets(64, 512, gpuBlocks, 1024, EngineBudgets.DEFAULT_BLOCK_SIZE); }

    private static void check(long freeBytes, int gpuBlocks) {
        Limits.checkDeviceMemory(new DeviceMemory("Tesla T4", freeBytes, 15 * GIB), LLAMA2, DType.F16, DType.F16, pool(gpuBlocks));
    }

    @Test
    void theLargestPoolTheRefusalNamesFitsAndOneMoreBlockDoesNot() {
        long free = 14 * GIB + 300L * (1 << 20);  // a T4 with the context created: about 14.3 GiB free
        var e = assertThrows(IllegalArgumentException.class, () -> check(free, 100_000));
        String m = e.getMessage();
        for (String term : new String[] {"llama-2-7b", "weights", "--gpu-kv-blocks 100000", "--max-tokens 512", "activations",
                "Tesla T4", "free of 16.11 GB", "F16 KV"}) {
            assertTrue(m.contains(term), "names " + term + ": " + m);
        }
        Matcher at = Pattern.compile("at most (\\d+) blocks").matcher(m);
        assertTrue(at.find(), m);
        int most = Integer.parseInt(at.group(1));
        assertTrue(most > 100 && most < 300, "a 7B model leaves room for a couple of hundred blocks on a T4, not " + most);
        assertDoesNotThrow(() -> check(free, most));
        var over = assertThrows(IllegalArgumentException.class, () -> check(free, most + 1));
        assertTrue(over.getMessage().contains("at most " + most + " blocks"), over.getMessage());
    }

    @Test
    void weightsThatDoNotFitAreSaidToBeTheProblem() {
        var e = assertThrows(IllegalArgumentException.class, () -> check(12 * GIB, 1));
        assertTrue(e.getMessage().contains("the weights and activations alone do not fit"), e.getMessage());
    }

    @Test
    void fp32WeightsNeedTwiceTheMemoryOfFp16() {
        long free = 20 * GIB;
        var mem = new DeviceMemory("A10G", free, 23 * GIB);
        assertDoesNotThrow(() -> Limits.checkDeviceMemory(mem, LLAMA2, DType.F16, DType.F16, pool(1)));
        var e = assertThrows(IllegalArgumentException.class, () -> Limits.checkDeviceMemory(mem, LLAMA2, DType.F32, DType.F16, pool(1)));
        assertTrue(e.getMessage().contains("F32"), e.getMessage());
    }

    @Test
    void aReportThatIsNotAMemorySizeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new DeviceMemory("gpu", 2, 1));
        assertThrows(IllegalArgumentException.class, () -> new DeviceMemory("gpu", -1, 1));
        var e = assertThrows(IllegalArgumentException.class, () -> new DeviceMemory("gpu", 0, 0));
        assertTrue(e.getMessage().contains("gpu"), e.getMessage());
    }

    @Test
    void theCpuBackendHasNoDeviceMemoryToAskFor() {
        var e = assertThrows(IllegalArgumentException.class, () -> Backends.deviceMemory("cpu"));
        assertEquals("the cpu backend has no device memory: its pools are host memory", e.getMessage());
    }
}
