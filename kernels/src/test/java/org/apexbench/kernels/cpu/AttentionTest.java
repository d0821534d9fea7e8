package org.apexbench.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * kvAppend + decode/prefill attention against a double-precision two-pass softmax oracle computed on the
 * KV values as stored (rounded to the pool type). Tolerance: 2e-5 absolute + 1e-4 relative (values in [-1, 1]).
 */
class AttentionTest {
    static final double ABS = 2e-5, REL = 1e-4;
    static CpuBackend fast, scalar;

    @BeforeAll static void open() { fast = new CpuBackend(2, true); scalar = new CpuBackend(1, false); }
    @AfterAll static void close() { fast.close(); scalar.close(); }

    /** A pool with sequences of the given lengths in shuffled (non-contiguous) blocks, K/V written by kvAppend. */
    record Setup(KvPool pool, int[][] tables, int[] lens, float[][] k, float[][] v) {}

    static Setup setup(CpuBackend b, DType type, int layers, int kvHeads, int headDim, int[] lens, long seed) {
        Random rnd = new Random(seed);
        int blocksNeeded = 0;
        for (int len : lens) blocksNeeded += (len + 15) / 16;
        int blocks = blocksNeeded + 3;
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < blocks; i++) ids.add(i);
        Collections.shuffle(ids, rnd);
        KvGeometry g = new KvGeometry(layers, blocks, kvHeads, headDim, type);
        KvPool pool = new KvPool(g, b.allocate(g.bufferBytes()), b.allocate(g.bufferBytes()));
        int[][] tables = new int[lens.length][];
        float[][] ks = new float[lens.length][], vs = new float[lens.length][];
        int next = 0, width = kvHeads * headDim;
        for (int s = 0; s < lens.length; s++) {
            tables[s] = new int[(lens[s] + 15) / 16];
            for (int j = 0; j < tables[s].length; j++) tables[s][j] = ids.get(next++);
            ks[s] = Fixtures.random(rnd, lens[s] * width, 1f);
            vs[s] = Fixtures.random(rnd, lens[s] * width, 1f);
            int[] slots = new int[lens[s]];
            for (int p = 0; p < lens[s]; p++) slots[p] = tables[s][p / 16] * 16 + p % 16;
            for (int layer = 0; layer < layers; layer++) {
                // the other layers get different data so a wrong layer offset shows
                float[] kl = layer == layers - 1 ? ks[s] : Fixtures.random(rnd, ks[s].length, 1f);
                float[] vl = layer == layers - 1 ? vs[s] : Fixtures.random(rnd, vs[s].length, 1f);
                b.kvAppend(pool, layer, Fixtures.f32(b, kl), Fixtures.f32(b, vl), lens[s], slots);
            }
            ks[s] = Fixtures.rounded(type, ks[s]);
            vs[s] = Fixtures.rounded(type, vs[s]);
        }
        return new Setup(pool, tables, lens, ks, vs);
    }

    /** Two-pass softmax attention in double over the first {@code ctx} positions. */
    static float[] oracle(float[] q, int qRow, AttentionShape shape, float[] k, float[] v, int ctx) {
        int d = shape.headDim(), width = shape.kvWidth();
        float[] out = new float[shape.qWidth()];
        for (int h = 0; h < shape.heads(); h++) {
            int kvh = h / shape.groupSize();
            double[] s = new double[ctx];
            double max = Double.NEGATIVE_INFINITY;
            for (int p = 0; p < ctx; p++) {
                double dot = 0;
                for (int i = 0; i < d; i++) dot += (double) q[qRow * shape.qWidth() + h * d + i] * k[p * width + kvh * d + i];
                s[p] = dot * shape.scale();
                max = Math.max(max, s[p]);
            }
            double sum = 0;
            for (int p = 0; p < ctx; p++) sum += (s[p] = Math.exp(s[p] - max));
            for (int i = 0; i < d; i++) {
                double a = 0;
                for (int p = 0; p < ctx; p++) a += s[p] * v[p * width + kvh * d + i];
                out[h * d + i] = (float) (a / sum);
            }
        }
        return out;
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(DType.F16, 8, 2, 128, new int[] {1, 17, 300}),      // GQA 4, headDim multiple of lanes
                Arguments.of(DType.BF16, 4, 4, 64, new int[] {33, 5, 129}),      // MHA
                Arguments.of(DType.F32, 6, 2, 33, new int[] {47, 16, 2}),        // headDim not a multiple of lanes
                Arguments.of(DType.F16, 3, 1, 7, new int[] {100}),               // tiny head, all heads share one KV head
                Arguments.of(DType.BF16, 16, 2, 131, new int[] {250, 3, 64, 77}),
                Arguments.of(DType.F16, 6, 2, 64, new int[] {40, 16, 3}));       // GQA 3: one head pair and one single head per group
    }

    @ParameterizedTest(name = "{0} heads={1} kvHeads={2} headDim={3}")
    @MethodSource("cases")
    void decodeMatchesOracleAndSplitMatchesUnsplit(DType type, int heads, int kvHeads, int headDim, int[] lens) {
        AttentionShape shape = AttentionShape.of(heads, kvHeads, headDim);
        Random rnd = new Random(heads * 131L + headDim);
        float[] q = Fixtures.random(rnd, lens.length * shape.qWidth(), 1f);
        for (CpuBackend b : new CpuBackend[] {fast, scalar}) {
            Setup s = setup(b, type, 2, kvHeads, headDim, lens, 7 + headDim);
            for (int segment : new int[] {0, 16, 48}) {
                DeviceBuffer out = b.allocate(4L * q.length);
                b.decodeAttention(Fixtures.f32(b, q), s.pool(), 1, s.tables(), lens, lens.length, shape, out, segment);
                float[] got = Fixtures.read(out, q.length);
                for (int r = 0; r < lens.length; r++) {
                    float[] expected = oracle(q, r, shape, s.k()[r], s.v()[r], lens[r]);
                    float[] row = java.util.Arrays.copyOfRange(got, r * shape.qWidth(), (r + 1) * shape.qWidth());
                    Fixtures.assertClose(expected, row, ABS, REL, b.describe() + " " + type + " segment=" + segment + " seq " + r);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0} heads={1} kvHeads={2} headDim={3}")
    @MethodSource("cases")
    void prefillRowEqualsDecodeAtThatContext(DType type, int heads, int kvHeads, int headDim, int[] lens) {
        AttentionShape shape = AttentionShape.of(heads, kvHeads, headDim);
        int total = lens[lens.length - 1], startPos = total / 3, rows = total - startPos;
        Random rnd = new Random(99);
        float[] q = Fixtures.random(rnd, rows * shape.qWidth(), 1f);
        for (CpuBackend b : new CpuBackend[] {fast, scalar}) {
            Setup s = setup(b, type, 1, kvHeads, headDim, new int[] {total}, 5);
            DeviceBuffer out = b.allocate(4L * q.length);
            b.prefillAttention(Fixtures.f32(b, q), s.pool(), 0, s.tables()[0], startPos, rows, shape, out);
            float[] got = Fixtures.read(out, q.length);
            for (int r = 0; r < rows; r++) {
                float[] qr = java.util.Arrays.copyOfRange(q, r * shape.qWidth(), (r + 1) * shape.qWidth());
                DeviceBuffer dOut = b.allocate(4L * shape.qWidth());
                b.decodeAttention(Fixtures.f32(b, qr), s.pool(), 0, new int[][] {s.tables()[0]}, new int[] {startPos + r + 1}, 1,
                        shape, dOut);
                float[] row = java.util.Arrays.copyOfRange(got, r * shape.qWidth(), (r + 1) * shape.qWidth());
                Fixtures.assertClose(Fixtures.read(dOut, shape.qWidth()), row, 1e-6, 1e-6, b.describe() + " prefill row " + r);
                Fixtures.assertClose(oracle(qr, 0, shape, s.k()[0], s.v()[0], startPos + r + 1), row, ABS, REL, "prefill vs oracle row " + r);
            }
        }
    }

    @Test
    void kvAppendWritesTheDocumentedLayout() {
        KvGeometry g = new KvGeometry(2, 3, 2, 4, DType.F32);
        for (CpuBackend b : new CpuBackend[] {fast, scalar}) {
            KvPool pool = new KvPool(g, b.allocate(g.bufferBytes()), b.allocate(g.bufferBytes()));
            float[] k = {1, 2, 3, 4, 5, 6, 7, 8}, v = {-1, -2, -3, -4, -5, -6, -7, -8};
            b.kvAppend(pool, 1, Fixtures.f32(b, k), Fixtures.f32(b, v), 1, new int[] {2 * 16 + 5});
            MemorySegment ks = ((CpuBuffer) pool.keys()).segment(), vs = ((CpuBuffer) pool.values()).segment();
            for (int h = 0; h < 2; h++) {
                for (int i = 0; i < 4; i++) {
                    long off = g.offset(1, 2, h, 5) + 4L * i;
                    assertTrue(ks.get(Elements.F32, off) == k[h * 4 + i] && vs.get(Elements.F32, off) == v[h * 4 + i],
                            b.describe() + " head " + h + " element " + i);
                }
            }
            float total = 0;
            for (long i = 0; i < g.bufferBytes() / 4; i++) total += Math.abs(ks.getAtIndex(Elements.F32, i));
            assertTrue(total == 36f, "nothing else written: " + total);
        }
    }

    @Test
    void rejectsBadShapesAndTables() {
        Setup s = setup(fast, DType.F16, 1, 2, 8, new int[] {20}, 1);
        AttentionShape shape = AttentionShape.of(4, 2, 8);
        DeviceBuffer q = fast.allocate(4L * shape.qWidth()), out = fast.allocate(4L * shape.qWidth());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fast.decodeAttention(q, s.pool(), 0,
                new int[][] {{s.tables()[0][0]}}, new int[] {20}, 1, shape, out));
        assertTrue(e.getMessage().contains("blockTables[0] has 1 blocks, 20 tokens need 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fast.decodeAttention(q, s.pool(), 0,
                new int[][] {{0, 99}}, new int[] {20}, 1, shape, out));
        assertTrue(e.getMessage().contains("blockTables[0][1] = 99"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fast.decodeAttention(q, s.pool(), 0, s.tables(), new int[] {0}, 1, shape, out));
        assertTrue(e.getMessage().contains("contextLens[0] = 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fast.decodeAttention(q, s.pool(), 0, s.tables(), new int[] {20}, 1,
                AttentionShape.of(4, 4, 8), out));
        assertTrue(e.getMessage().contains("kvHeads=4") && e.getMessage().contains("pool has kvHeads=2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fast.decodeAttention(q, s.pool(), 1, s.tables(), new int[] {20}, 1, shape, out));
        assertTrue(e.getMessage().contains("layer 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fast.decodeAttention(fast.allocate(8), s.pool(), 0, s.tables(),
                new int[] {20}, 1, shape, out));
        assertTrue(e.getMessage().contains("decodeAttention q"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fast.decodeAttention(q, s.pool(), 0, s.tables(), new int[] {20}, 1,
                shape, out, 8));
        assertTrue(e.getMessage().contains("segmentTokens"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fast.prefillAttention(q, s.pool(), 0, s.tables()[0], 32, 1, shape, out));
        assertTrue(e.getMessage().contains("blockTable has 2 blocks, 33 tokens need 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> fast.kvAppend(s.pool(), 0, q, q, 1, new int[] {s.pool().geometry().blocks() * 16}));
        assertTrue(e.getMessage().contains("kvAppend: slots[0]"), e.getMessage());
    }
}
