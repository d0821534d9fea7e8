package org.apexbench.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.RopeTable;
import org.apexbench.kernels.Weight;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * embedding, rmsnorm, rope, siluMul: vector backend vs scalar backend vs a double-precision oracle.
 * Tolerances: embedding exact; rmsnorm 1e-5 relative + 1e-6; rope 1e-5 absolute; siluMul 1e-5 relative + 1e-6.
 */
class ElementwiseOpsTest {
    static final int[] WIDTHS = {1, 7, 33, 131, 1000};
    static CpuBackend fast, scalar;

    @BeforeAll static void open() { fast = new CpuBackend(2, true); scalar = new CpuBackend(1, false); }
    @AfterAll static void close() { fast.close(); scalar.close(); }

    /** Exactly the rows holding a NaN or an infinity are flagged, at the flags' offset, whatever the width's tail. */
    @Test
    void markNonFiniteFlagsExactlyTheBrokenRows() {
        for (int width : WIDTHS) {
            int rows = 5;
            float[] x = Fixtures.random(new Random(width), rows * width, 2f);
            x[width + width - 1] = Float.NaN;                 // row 1, last element (the vector path's tail)
            x[3 * width] = Float.POSITIVE_INFINITY;           // row 3, first element
            x[4 * width + width / 2] = Float.NEGATIVE_INFINITY;
            x[2 * width] = Float.MAX_VALUE;                   // large but finite: not flagged
            int[] want = {0, 1, 0, 1, 1};
            for (CpuBackend b : new CpuBackend[] {fast, scalar}) {
                DeviceBuffer flags = b.allocate(8 + 4L * rows);
                b.markNonFinite(Fixtures.f32(b, x), rows, width, flags, 8);
                int[] got = ((CpuBuffer) flags).segment().asSlice(8).toArray(java.lang.foreign.ValueLayout.JAVA_INT);
                assertArrayEquals(want, got, b.describe() + " width " + width);
            }
        }
        var e = assertThrows(IllegalArgumentException.class, () -> fast.markNonFinite(fast.allocate(4L * 8), 2, 4, fast.allocate(8), 4));
        assertTrue(e.getMessage().contains("markNonFinite flags") && e.getMessage().contains("outside a buffer of 8 bytes"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16"})
    void embeddingCopiesRoundedRows(String typeName) {
        DType type = DType.valueOf(typeName);
        for (int cols : WIDTHS) {
            float[] table = Fixtures.random(new Random(cols), 5 * cols, 3f), rounded = Fixtures.rounded(type, table);
            int[] tokens = {4, 0, 4, 2};
            for (CpuBackend b : new CpuBackend[] {fast, scalar}) {
                DeviceBuffer out = b.allocate(4L * tokens.length * cols);
                b.embedding(Fixtures.weight(b, "embed", type, 5, cols, table), tokens, tokens.length, out);
                float[] got = Fixtures.read(out, tokens.length * cols);
                for (int i = 0; i < tokens.length; i++) {
                    for (int c = 0; c < cols; c++) assertEquals(rounded[tokens[i] * cols + c], got[i * cols + c], b.describe());
                }
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fast.embedding(
                Fixtures.weight(fast, "model.embed_tokens", type, 5, 3, new float[15]), new int[] {5}, 1, fast.allocate(12)));
        assertTrue(e.getMessage().contains("tokens[0] = 5") && e.getMessage().contains("model.embed_tokens"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16"})
    void rmsnormMatchesOracle(String typeName) {
        DType type = DType.valueOf(typeName);
        for (int width : WIDTHS) {
            Random rnd = new Random(width);
            int rows = 3;
            float[] x = Fixtures.random(rnd, rows * width, 2f), w = Fixtures.random(rnd, width, 1.5f);
            float[] wr = Fixtures.rounded(type, w), expected = new float[rows * width];
            for (int r = 0; r < rows; r++) {
                double ss = 0;
                for (int i = 0; i < width; i++) ss += (double) x[r * width + i] * x[r * width + i];
                double inv = 1 / Math.sqrt(ss / width + 1e-5);
                for (int i = 0; i < width; i++) expected[r * width + i] = (float) (x[r * width + i] * inv * wr[i]);
            }
            for (CpuBackend b : new CpuBackend[] {fast, scalar}) {
                DeviceBuffer xb = Fixtures.f32(b, x), out = b.allocate(4L * x.length);
                b.rmsnorm(xb, Fixtures.weight(b, "norm", type, 1, width, w), 1e-5f, rows, out);
                Fixtures.assertClose(expected, Fixtures.read(out, x.length), 1e-6, 1e-5, b.describe() + " width " + width);
                b.rmsnorm(xb, Fixtures.weight(b, "norm", type, 1, width, w), 1e-5f, rows, xb);   // in place
                Fixtures.assertClose(expected, Fixtures.read(xb, x.length), 1e-6, 1e-5, b.describe() + " in place");
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fast.rmsnorm(fast.allocate(16), Fixtures.weight(fast, "norm", type, 2, 4, new float[8]), 1e-5f, 1, fast.allocate(16)));
        assertTrue(e.getMessage().contains("must be one row"), e.getMessage());
    }

    @Test
    void ropeRotatesHalvesByPositionTimesFrequency() {
        for (int headDim : new int[] {2, 14, 64, 130}) {
            float[] invFreq = new float[headDim / 2];
            for (int i = 0; i < invFreq.length; i++) invFreq[i] = (float) Math.pow(10000, -2.0 * i / headDim);
            RopeTable table = new RopeTable(headDim, invFreq);
            int rows = 3, heads = 3;
            int[] positions = {0, 7, 4095};
            float[] x = Fixtures.random(new Random(headDim), rows * heads * headDim, 1f), expected = x.clone();
            int half = headDim / 2;
            for (int r = 0; r < rows; r++) {
                for (int h = 0; h < heads; h++) {
                    int base = (r * heads + h) * headDim;
                    for (int i = 0; i < half; i++) {
                        double angle = (float) (positions[r] * invFreq[i]);
                        double a = x[base + i], c = x[base + i + half];
                        expected[base + i] = (float) (a * Math.cos(angle) - c * Math.sin(angle));
                        expected[base + i + half] = (float) (c * Math.cos(angle) + a * Math.sin(angle));
                    }
                }
            }
            for (CpuBackend b : new CpuBackend[] {fast, scalar}) {
                DeviceBuffer xb = Fixtures.f32(b, x);
                b.rope(xb, rows, heads, positions, table);
                Fixtures.assertClose(expected, Fixtures.read(xb, x.length), 1e-5, 0, b.describe() + " headDim " + headDim);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fast.rope(fast.allocate(16), 1, 2, new int[] {0}, new RopeTable(4, new float[2])));
        assertTrue(e.getMessage().contains("rope x"), e.getMessage());
    }

    @Test
    void siluMulMatchesOracle() {
        for (int width : WIDTHS) {
            int rows = 2;
            float[] gu = Fixtures.random(new Random(width), rows * 2 * width, 8f), expected = new float[rows * width];
            for (int r = 0; r < rows; r++) {
                for (int i = 0; i < width; i++) {
                    double g = gu[r * 2 * width + i], u = gu[r * 2 * width + width + i];
                    expected[r * width + i] = (float) (g / (1 + Math.exp(-g)) * u);
                }
            }
            for (CpuBackend b : new CpuBackend[] {fast, scalar}) {
                DeviceBuffer out = b.allocate(4L * rows * width);
                b.siluMul(Fixtures.f32(b, gu), rows, width, out);
                Fixtures.assertClose(expected, Fixtures.read(out, rows * width), 1e-6, 1e-5, b.describe() + " width " + width);
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fast.siluMul(fast.allocate(12), 1, 2, fast.allocate(8)));
        assertTrue(e.getMessage().contains("siluMul gateUp [1x4]"), e.getMessage());
    }

    @Test
    void memoryOpsCopyAndCheckRanges(@TempDir Path dir) throws Exception {
        try (Backend b = Backends.open("cpu", 2)) {
            assertTrue(b.describe().startsWith("cpu vector="), b.describe());
            DeviceBuffer buf = b.allocate(64);
            MemorySegment src = MemorySegment.ofArray(new byte[] {1, 2, 3, 4});
            b.write(src, buf, 10);
            DeviceBuffer other = b.allocate(8);
            b.copy(buf, 8, other, 0, 8);
            byte[] back = new byte[8];
            b.read(other, 0, MemorySegment.ofArray(back));
            assertArrayEquals(new byte[] {0, 0, 1, 2, 3, 4, 0, 0}, back);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.write(src, buf, 62));
            assertTrue(e.getMessage().contains("outside a buffer of 64 bytes"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> b.copy(buf, 60, other, 0, 8));
            assertThrows(IllegalArgumentException.class, () -> buf.slice(60, 8));
            assertEquals(8, buf.slice(56, 8).bytes());

            // a mapped file is used in place: a write through the file mapping is visible to the backend
            Path file = dir.resolve("w.bin");
            Files.write(file, new byte[16]);
            try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                MemorySegment mapped = ch.map(FileChannel.MapMode.READ_WRITE, 0, 16, arena);
                DeviceBuffer up = b.upload(mapped);
                mapped.set(Elements.F32, 4, 2.5f);
                assertEquals(2.5f, ((CpuBuffer) up).segment().get(Elements.F32, 4));
            }
            // heap memory is copied
            float[] heap = {1, 2};
            DeviceBuffer copied = b.upload(MemorySegment.ofArray(heap));
            heap[0] = 9;
            assertEquals(1f, ((CpuBuffer) copied).segment().get(Elements.F32, 0));
        }
    }

    @Test
    void vectorWidthFollowsTheProperty() {
        String bits = System.getProperty("apex.vectorBits");
        if ("0".equals(bits)) {
            assertTrue(!fast.vectorised() && fast.describe().contains("vector=scalar"), fast.describe());
        } else {
            assertTrue(fast.vectorised(), fast.describe());
            if (bits != null) assertTrue(fast.describe().contains("vector=" + bits + "-bit"), fast.describe());
        }
        assertTrue(!scalar.vectorised() && scalar.describe().contains("threads=1"), scalar.describe());
    }

    @Test
    void foreignBuffersAndBadArgumentsAreRejected() {
        DeviceBuffer foreign = new DeviceBuffer() {
            @Override public long bytes() { return 64; }
            @Override public DeviceBuffer slice(long offset, long bytes) { return this; }
        };
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fast.siluMul(foreign, 1, 2, fast.allocate(8)));
        assertTrue(e.getMessage().contains("expected a buffer of the cpu backend"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new CpuBackend(-1));
        Weight ints = new Weight("ids", fast.allocate(16), DType.I32, 1, 4);
        e = assertThrows(IllegalArgumentException.class, () -> fast.gemm(fast.allocate(16), ints, 1, fast.allocate(4), false));
        assertTrue(e.getMessage().contains("I32"), e.getMessage());
    }
}
