package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The microbenchmarks' reference read: it must read every byte of every buffer it is given, once per sum. */
class CpuMicrobenchStreamTest {

    @Test
    void streamOfReadsEveryIntOfEveryBufferOnce() {
        try (CpuBackend backend = new CpuBackend(2)) {
            // whole 4-vector steps per worker (the read leaves a smaller tail out), so the sum is exact
            int step = Simd.I.vectorByteSize() * 4 * 2;
            MemorySegment a = ((CpuBuffer) backend.allocate(step * 3L)).segment();
            MemorySegment b = ((CpuBuffer) backend.allocate(step * 5L)).segment();
            fill(a, 1);
            fill(b, 2);
            try (CpuMicrobench.Stream s = CpuMicrobench.streamOf(2, a, b)) {
                assertEquals(a.byteSize() + b.byteSize(), s.bytes());
                float expected = a.byteSize() / 4 + 2 * (b.byteSize() / 4);
                assertEquals(expected, s.sum());
                assertEquals(expected, s.sum(), "a second read gives the same sum");
            }
        }
    }

    private static void fill(MemorySegment s, int v) {
        for (long o = 0; o < s.byteSize(); o += 4) s.set(ValueLayout.JAVA_INT_UNALIGNED, o, v);
    }
}
