package org.apexbench.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.KvGeometry;
import org.junit.jupiter.api.Test;

/** The host-side parts of the cuda host bridge that need no driver: fp16/fp32 row conversion and pool limits. */
class CudaBridgeHostSideTest {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void halfRowsConvertOnlyTheRequestedElementsBothWays() {
        float[] values = {0f, -0f, 1f, -2.5f, 65504f, 6.1035156e-5f, 5.9604645e-8f, 1e-3f, 3.14159f, Float.POSITIVE_INFINITY};
        try (Arena a = Arena.ofConfined()) {
            int n = values.length;
            MemorySegment half = a.allocate(2L * n), single = a.allocate(4L * n), back = a.allocate(2L * n);
            for (int i = 0; i < n; i++) half.set(F16, 2L * i, Float.floatToFloat16(values[i]));
            single.fill((byte) 0x7f);
            HalfRows.toFloat(half, single, 2, n - 3);
            assertEquals(Float.intBitsToFloat(0x7f7f7f7f), single.get(F32, 4), "element 1 is outside the range and untouched");
            for (int i = 2; i < n - 1; i++) {
                assertEquals(Float.float16ToFloat(Float.floatToFloat16(values[i])), single.get(F32, 4L * i), "element " + i);
            }
            HalfRows.toHalf(single, back, 2, n - 3);
            for (int i = 2; i < n - 1; i++) assertEquals(half.get(F16, 2L * i), back.get(F16, 2L * i), "round trip of element " + i);
            assertEquals(0, back.get(F16, 2L * (n - 1)), "element past the range untouched");
        }
    }

    @Test
    void hostPoolsMustBeFp16AndFitOnePinnedBuffer() {
        var f32 = assertThrows(IllegalArgumentException.class, () -> CudaHostBridge.checkHostPool(new KvGeometry(2, 4, 2, 64, DType.F32)));
        assertTrue(f32.getMessage().contains("must be F16"), f32.getMessage());
        // Llama-2-7B geometry: 32 layers x 32 KV heads x 128 x 16 tokens x 2 bytes = 4 MiB per block for K: 512 blocks fit
        KvGeometry big = new KvGeometry(32, 600, 32, 128, DType.F16);
        var e = assertThrows(IllegalArgumentException.class, () -> CudaHostBridge.checkHostPool(big));
        assertTrue(e.getMessage().contains("use at most 511 host KV blocks"), e.getMessage());
        assertDoesNotThrow(() -> CudaHostBridge.checkHostPool(new KvGeometry(32, 511, 32, 128, DType.F16)));
    }
}
