package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.KvGeometry;

/**
 * One worker's attention state and scratch: attends the query heads of one GQA group (all heads that read
 * KV head {@code kvHead}) to a range of context positions, reading each K/V row once for the whole group.
 * Online softmax, no score buffer sized by the context:
 * <pre>
 *   for each tile of up to 8 keys (one block holds 16; the tile is decoded to fp32 scratch once):
 *       s[j] = q_h . K[j] * scale               (8 independent accumulators, one lane-reduce each)
 *       mNew = max(m_h, max s);  c = exp(m_h - mNew);  p[j] = exp(s[j] - mNew)
 *       l_h  = l_h * c + sum p;  acc_h = acc_h * c + sum p[j] * V[j];  m_h = mNew
 * </pre>
 * The result stays unnormalised ({@code acc}, {@code m}, {@code l}) so split-context segments can be merged
 * with log-sum-exp weights. Scratch is grown only when the head shape grows: steady state allocates nothing.
 */
final class AttentionWorker {
    static final int TILE = 8;

    int group, headDim;
    float[] q = new float[0];     // [group][headDim], pre-scaled
    float[] acc = new float[0];   // [group][headDim], unnormalised
    float[] m = new float[0], l = new float[0];
    private float[] kTile = new float[0], vTile = new float[0];
    private short[] raw = new short[0];
    private final float[] scores = new float[TILE];

    void ensure(int group, int headDim) {
        this.group = group;
        this.headDim = headDim;
        if (q.length < group * headDim) {
            q = new float[group * headDim];
            acc = new float[group * headDim];
        }
        if (m.length < group) {
            m = new float[group];
            l = new float[group];
        }
        if (kTile.length < TILE * headDim) {
            kTile = new float[TILE * headDim];
            vTile = new float[TILE * headDim];
            raw = new short[TILE * headDim];
        }
    }

    /** Loads the group's query heads (head {@code firstHead} onward of query row at byte {@code qRow}), scaled. */
    void loadQuery(MemorySegment qs, long qRow, int firstHead, float scale) {
        long base = qRow + (long) firstHead * headDim * 4;
        int n = group * headDim;
        MemorySegment.copy(qs, Elements.F32, base, q, 0, n);
        for (int i = 0; i < n; i++) q[i] *= scale;
        Arrays.fill(acc, 0, n, 0f);
        Arrays.fill(m, 0, group, Float.NEGATIVE_INFINITY);
        Arrays.fill(l, 0, group, 0f);
    }

    /** The fast path over positions {@code [from, to)} of a sequence with block table {@code table}. */
    void attend(MemorySegment keys, MemorySegment values, KvGeometry g, int layer, int kvHead, int[] table,
                int from, int to) {
        DType type = g.dtype();
        int d = headDim;
        for (int pos = from; pos < to; ) {
            int slot = pos % KvGeometry.BLOCK_SIZE;
            int n = Math.min(Math.min(TILE, to - pos), KvGeometry.BLOCK_SIZE - slot);
            long off = g.offset(layer, table[pos / KvGeometry.BLOCK_SIZE], kvHead, slot);
            Elements.decode(keys, type, off, n * d, raw, kTile);
            Elements.decode(values, type, off, n * d, raw, vTile);
            if (n < TILE) {
                Arrays.fill(kTile, n * d, TILE * d, 0f);
                Arrays.fill(vTile, n * d, TILE * d, 0f);
            }
            for (int h = 0; h < group; h++) tile(h, n);
            pos += n;
        }
    }

    private void tile(int h, int n) {
        int d = headDim, lanes = Simd.LANES, bound = d - d % lanes, qo = h * d;
        float[] k = kTile, v = vTile, s = scores;
        FloatVector s0 = FloatVector.zero(Simd.F), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        for (int i = 0; i < bound; i += lanes) {
            FloatVector qv = FloatVector.fromArray(Simd.F, q, qo + i);
            s0 = qv.fma(FloatVector.fromArray(Simd.F, k, i), s0);
            s1 = qv.fma(FloatVector.fromArray(Simd.F, k, d + i), s1);
            s2 = qv.fma(FloatVector.fromArray(Simd.F, k, 2 * d + i), s2);
            s3 = qv.fma(FloatVector.fromArray(Simd.F, k, 3 * d + i), s3);
            s4 = qv.fma(FloatVector.fromArray(Simd.F, k, 4 * d + i), s4);
            s5 = qv.fma(FloatVector.fromArray(Simd.F, k, 5 * d + i), s5);
            s6 = qv.fma(FloatVector.fromArray(Simd.F, k, 6 * d + i), s6);
            s7 = qv.fma(FloatVector.fromArray(Simd.F, k, 7 * d + i), s7);
        }
        s[0] = s0.reduceLanes(VectorOperators.ADD);
        s[1] = s1.reduceLanes(VectorOperators.ADD);
        s[2] = s2.reduceLanes(VectorOperators.ADD);
        s[3] = s3.reduceLanes(VectorOperators.ADD);
        s[4] = s4.reduceLanes(VectorOperators.ADD);
        s[5] = s5.reduceLanes(VectorOperators.ADD);
        s[6] = s6.reduceLanes(VectorOperators.ADD);
        s[7] = s7.reduceLanes(VectorOperators.ADD);
        if (bound < d) {
            for (int j = 0; j < TILE; j++) {
                float t = 0f;
                for (int i = bound; i < d; i++) t += q[qo + i] * k[j * d + i];
                s[j] += t;
            }
        }
        float mOld = m[h], mNew = mOld;
        for (int j = 0; j < n; j++) mNew = Math.max(mNew, s[j]);
        float c = (float) Math.exp(mOld - mNew);   // exp(-inf) = 0 on the first tile
        float sum = 0f;
        for (int j = 0; j < TILE; j++) {
            float p = j < n ? (float) Math.exp(s[j] - mNew) : 0f;
            s[j] = p;
            sum += p;
        }
        m[h] = mNew;
        l[h] = l[h] * c + sum;
        FloatVector p0 = FloatVector.broadcast(Simd.F, s[0]), p1 = FloatVector.broadcast(Simd.F, s[1]);
        FloatVector p2 = FloatVector.broadcast(Simd.F, s[2]), p3 = FloatVector.broadcast(Simd.F, s[3]);
        FloatVector p4 = FloatVector.broadcast(Simd.F, s[4]), p5 = FloatVector.broadcast(Simd.F, s[5]);
        FloatVector p6 = FloatVector.broadcast(Simd.F, s[6]), p7 = FloatVector.broadcast(Simd.F, s[7]);
        for (int i = 0; i < bound; i += lanes) {
            FloatVector a = FloatVector.fromArray(Simd.F, acc, qo + i).mul(c);
            a = FloatVector.fromArray(Simd.F, v, i).fma(p0, a);
            a = FloatVector.fromArray(Simd.F, v, d + i).fma(p1, a);
            a = FloatVector.fromArray(Simd.F, v, 2 * d + i).fma(p2, a);
            a = FloatVector.fromArray(Simd.F, v, 3 * d + i).fma(p3, a);
            a = FloatVector.fromArray(Simd.F, v, 4 * d + i).fma(p4, a);
            a = FloatVector.fromArray(Simd.F, v, 5 * d + i).fma(p5, a);
            a = FloatVector.fromArray(Simd.F, v, 6 * d + i).fma(p6, a);
            a = FloatVector.fromArray(Simd.F, v, 7 * d + i).fma(p7, a);
            a.intoArray(acc, qo + i);
        }
        for (int i = bound; i < d; i++) {
            float a = acc[qo + i] * c;
            for (int j = 0; j < TILE; j++) a += s[j] * v[j * d + i];
            acc[qo + i] = a;
        }
    }

    /**
     * The scalar reference (test oracle): one key at a time, each K/V element read and converted on its own,
     * same online-softmax recurrence in fp32.
     */
    void attendScalar(MemorySegment keys, MemorySegment values, KvGeometry g, int layer, int kvHead, int[] table,
                      int from, int to) {
        DType type = g.dtype();
        int d = headDim;
        long elem = type.bytes();
        for (int pos = from; pos < to; pos++) {
            long base = g.offset(layer, table[pos / KvGeometry.BLOCK_SIZE], kvHead, pos % KvGeometry.BLOCK_SIZE) / elem;
            for (int h = 0; h < group; h++) {
                float s = 0f;
                for (int i = 0; i < d; i++) s += q[h * d + i] * Elements.get(keys, type, base + i);
                float mNew = Math.max(m[h], s);
                float c = (float) Math.exp(m[h] - mNew), p = (float) Math.exp(s - mNew);
                l[h] = l[h] * c + p;
                for (int i = 0; i < d; i++) acc[h * d + i] = acc[h * d + i] * c + p * Elements.get(values, type, base + i);
                m[h] = mNew;
            }
        }
    }

    /** Writes {@code acc / l} for the group's heads to the output row at byte {@code outRow}, head {@code firstHead}. */
    void storeNormalised(MemorySegment out, long outRow, int firstHead) {
        int d = headDim;
        for (int h = 0; h < group; h++) {
            float inv = 1f / l[h];
            long o = outRow + (long) (firstHead + h) * d * 4;
            for (int i = 0; i < d; i++) out.set(Elements.F32, o + 4L * i, acc[h * d + i] * inv);
        }
    }
}
