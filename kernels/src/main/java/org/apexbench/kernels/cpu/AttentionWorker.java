package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.KvGeometry;

/**
 * One worker's attention state and scratch: attends all query heads of one token to a range of context
 * positions, reading each K/V row once for all query heads of its GQA group. Within a 16-token block the
 * kv heads are walked in storage order, so K and V are each read as one sequential 16 x kvHeads x headDim run
 * per block (hardware prefetchers stream it). Online softmax, no score buffer sized by the context:
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
    /** Spare floats (one cache line) after each scratch array: no false sharing between workers. */
    private static final int PAD = 16;
    /** The 8 scores of a tile as one vector (256-bit whatever the row species). */
    static final VectorSpecies<Float> SCORES = FloatVector.SPECIES_256;

    int heads, group, headDim;
    float[] q = new float[0];     // [heads][headDim], pre-scaled
    float[] acc = new float[0];   // [heads][headDim], unnormalised
    float[] m = new float[0], l = new float[0];
    private float[] probs = new float[0], rescale = new float[0];
    private float[] lanesL = new float[0];   // Tile16's lane-wise softmax denominators, [heads][16]
    private float[] kTile = new float[0], vTile = new float[0];
    /** Sink of {@link #touchLines}; its value means nothing. */
    int touched;
    private final float[] halves = new float[8 * Tile16.KEYS + PAD];
    private final float[] scores = new float[Math.max(TILE, Simd.LANES) + PAD];

    // Transposing reduction (needs >= 8 lanes): level k adds lanes i and i^k of two vectors at once, so
    // eight lane-sums cost 15 shuffle/blend/add steps instead of eight full reductions.
    private static final VectorShuffle<Float> SWAP1 = VectorShuffle.fromOp(Simd.F, i -> i ^ 1);
    private static final VectorShuffle<Float> SWAP2 = VectorShuffle.fromOp(Simd.F, i -> i ^ 2);
    private static final VectorShuffle<Float> SWAP4 = VectorShuffle.fromOp(Simd.F, i -> i ^ 4);
    private static final VectorShuffle<Float> SWAP8 = VectorShuffle.fromOp(Simd.F, i -> i ^ 8 & (Simd.LANES - 1));
    private static final VectorMask<Float> BIT1 = VectorMask.fromLong(Simd.F, 0xAAAAAAAAL);
    private static final VectorMask<Float> BIT2 = VectorMask.fromLong(Simd.F, 0xCCCCCCCCL);
    private static final VectorMask<Float> BIT4 = VectorMask.fromLong(Simd.F, 0xF0F0F0F0L);

    /** Pairs lanes i and i^k: result lane i holds a's pair sum if bit k of i is clear, else b's. */
    private static FloatVector level(FloatVector a, FloatVector b, VectorShuffle<Float> swap, VectorMask<Float> bit) {
        return a.blend(b, bit).add(b.blend(a, bit).rearrange(swap));
    }

    /** Lanes 0..7 of the result are the lane sums of s0..s7 (for 8 or 16 lanes). */
    static FloatVector transposeSum(FloatVector s0, FloatVector s1, FloatVector s2, FloatVector s3,
                                    FloatVector s4, FloatVector s5, FloatVector s6, FloatVector s7) {
        FloatVector w01 = level(s0, s1, SWAP1, BIT1), w23 = level(s2, s3, SWAP1, BIT1);
        FloatVector w45 = level(s4, s5, SWAP1, BIT1), w67 = level(s6, s7, SWAP1, BIT1);
        FloatVector w0123 = level(w01, w23, SWAP2, BIT2), w4567 = level(w45, w67, SWAP2, BIT2);
        FloatVector all = level(w0123, w4567, SWAP4, BIT4);
        return Simd.LANES == 16 ? all.add(all.rearrange(SWAP8)) : all;
    }

    void ensure(int heads, int group, int headDim) {
        this.heads = heads;
        this.group = group;
        this.headDim = headDim;
        // every array gets PAD spare floats so two workers' arrays never share a cache line
        if (q.length < heads * headDim + PAD) {
            q = new float[heads * headDim + PAD];
            acc = new float[heads * headDim + PAD];
        }
        if (m.length < heads + PAD) {
            m = new float[heads + PAD];
            l = new float[heads + PAD];
            probs = new float[heads * Tile16.KEYS + PAD];
            lanesL = new float[heads * Tile16.KEYS + PAD];
            rescale = new float[heads + PAD];
        }
        if (kTile.length < KvGeometry.BLOCK_SIZE * headDim + PAD) {
            kTile = new float[KvGeometry.BLOCK_SIZE * headDim + PAD];
            vTile = new float[KvGeometry.BLOCK_SIZE * headDim + PAD];
        }
    }

    /** Loads all query heads of the query row at byte {@code qRow}, scaled, and resets the softmax state. */
    void loadQuery(MemorySegment qs, long qRow, float scale) {
        int n = heads * headDim;
        // element loop, not MemorySegment.copy: copying into an array wraps it in a heap segment (an allocation)
        for (int i = 0; i < n; i++) q[i] = qs.get(Elements.F32, qRow + 4L * i) * scale;
        Arrays.fill(acc, 0, n, 0f);
        Arrays.fill(m, 0, heads, Float.NEGATIVE_INFINITY);
        Arrays.fill(l, 0, heads, 0f);
    }

    /** The fast path over positions {@code [from, to)} of a sequence with block table {@code table}. */
    void attend(MemorySegment keys, MemorySegment values, KvGeometry g, int layer, int[] table, int from, int to) {
        if (Tile16.applies(headDim)) attend16(keys, values, g, layer, table, from, to);
        else attend8(keys, values, g, layer, table, from, to);
    }

    /**
     * {@link #attend} by whole 16-token blocks ({@link Tile16}, 512-bit species). The next block's K and V runs
     * are touched first ({@link #touchLines}), then each kv head's 16 rows are decoded to fp32 scratch and
     * computed at once, so the 16 KB of scratch stays in L1. Measured on the 2-core Zen 5 VM, fp16, 16 x 4096
     * contexts (microbench, 10 alternating process pairs): 2 threads 17.4 -> 19.5 GB/s mean, faster in 9 of
     * 10; 1 thread 9.6 -> 10.5 GB/s, against decoding a whole block (all kv heads, 128 KB of fp32 that
     * spilled to L2) before computing; in-cache (one thread, 4 hot blocks) 18.8 -> 22.4 GB/s.
     */
    private void attend16(MemorySegment keys, MemorySegment values, KvGeometry g, int layer, int[] table, int from, int to) {
        DType type = g.dtype();
        int d = headDim, kvHeads = g.kvHeads(), run = Tile16.KEYS * d;
        Tile16.startLanes(l, lanesL, heads);
        for (int pos = from; pos < to; ) {
            int slot = pos % KvGeometry.BLOCK_SIZE;
            int inBlock = Math.min(KvGeometry.BLOCK_SIZE - slot, to - pos);
            int block = table[pos / KvGeometry.BLOCK_SIZE];
            int next = pos + inBlock < to ? table[(pos + inBlock) / KvGeometry.BLOCK_SIZE] : -1;
            if (next >= 0) touchLines(keys, values, g.offset(layer, next, 0, 0), (long) kvHeads * run * type.bytes());
            for (int kvHead = 0; kvHead < kvHeads; kvHead++) {
                long off = g.offset(layer, block, kvHead, slot);
                decode(keys, type, off, inBlock * d, kTile);
                decode(values, type, off, inBlock * d, vTile);
                // a partial block (context start or end): K's unused rows are zeroed (their scores are masked,
                // but stale bits could be NaN)
                if (inBlock < Tile16.KEYS) Arrays.fill(kTile, inBlock * d, run, 0f);
                block16(kvHead * group, inBlock);
            }
            pos += inBlock;
        }
        Tile16.sumLanes(lanesL, l, heads);
    }

    /** All heads of one GQA group against the {@code n <= 16} decoded keys and values of its kv head in the tiles. */
    private void block16(int firstHead, int n) {
        int d = headDim, end = firstHead + group;
        int h = firstHead;
        // head pairs: each K load feeds two FMAs (one head per pass was load-bound); 1 thread 8.6 -> 10.0 GB/s
        for (; h + 2 <= end; h += 2) Tile16.scores2(q, kTile, 0, d, h, n, m, lanesL, probs, rescale, halves);
        for (; h < end; h++) Tile16.scores(q, kTile, 0, d, h, n, m, lanesL, probs, rescale, halves);
        h = firstHead;
        // whole groups of 4 first: each V load feeds four FMAs (+2.5% at 2 threads over pairs)
        for (; h + 4 <= end; h += 4) Tile16.values4(acc, vTile, 0, d, h, n, probs, rescale);
        for (; h + 2 <= end; h += 2) Tile16.values2(acc, vTile, 0, d, h, n, probs, rescale);
        if (h < end) Tile16.values1(acc, vTile, 0, d, h, n, probs, rescale);
    }

    /**
     * Reads one byte of every cache line of the next block's K and V run (Java has no prefetch
     * instruction): blocks are shuffled, so each block's 32 KB K and V runs start cold, and decoding them
     * head by head stalls on one short run of misses after another; one dense burst of loads a block ahead
     * keeps many more misses in flight. (It does not overlap the math: demand misses block retirement; see
     * docs/decisions.md, "CPU decode attention".) Measured on the Zen 5
     * VM, 1 thread, fp16, 4096-token contexts: +17% (6.6 -> 7.8 GB/s); the variants that did not help are in
     * docs/decisions.md. The sum goes to a field so C2 cannot drop the loads.
     */
    private void touchLines(MemorySegment keys, MemorySegment values, long off, long bytes) {
        int sum = 0;
        for (long b = 0; b < bytes; b += 64) sum += keys.get(ValueLayout.JAVA_BYTE, off + b) + values.get(ValueLayout.JAVA_BYTE, off + b);
        touched += sum;
    }

    /** {@link #attend} by 8-key tiles (any species). */
    private void attend8(MemorySegment keys, MemorySegment values, KvGeometry g, int layer, int[] table, int from, int to) {
        DType type = g.dtype();
        int d = headDim, kvHeads = g.kvHeads();
        for (int pos = from; pos < to; ) {
            int slot = pos % KvGeometry.BLOCK_SIZE;
            int inBlock = Math.min(KvGeometry.BLOCK_SIZE - slot, to - pos);
            int block = table[pos / KvGeometry.BLOCK_SIZE];
            for (int kvHead = 0; kvHead < kvHeads; kvHead++) {
                // decode the whole run (up to 16 keys) at once: more loads in flight per memory round trip
                long off = g.offset(layer, block, kvHead, slot);
                decode(keys, type, off, inBlock * d, kTile);
                decode(values, type, off, inBlock * d, vTile);
                int padded = (inBlock + TILE - 1) / TILE * TILE;
                if (inBlock < padded) {
                    Arrays.fill(kTile, inBlock * d, padded * d, 0f);
                    Arrays.fill(vTile, inBlock * d, padded * d, 0f);
                }
                for (int t = 0; t < inBlock; t += TILE) {
                    group(kvHead * group, Math.min(TILE, inBlock - t), t * d);
                }
            }
            pos += inBlock;
        }
    }

    /**
     * One K or V tile to fp32: fp16 by a {@code Float.float16ToFloat} loop straight from the segment (C2
     * vectorises it), bf16 by the vector shift, fp32 by vector loads (MemorySegment.copy into an array would
     * allocate a heap-segment wrapper per call).
     */
    static void decode(MemorySegment s, DType type, long off, int n, float[] dst) {
        switch (type) {
            case F16 -> {
                for (int i = 0; i < n; i++) dst[i] = Float.float16ToFloat(s.get(Elements.S16, off + 2L * i));
            }
            case BF16 -> {
                int lanes = Simd.LANES, i = 0;
                for (; i + lanes <= n; i += lanes) Simd.bf16(s, off + 2L * i).intoArray(dst, i);
                for (; i < n; i++) dst[i] = Elements.bf16ToFloat(s.get(Elements.S16, off + 2L * i));
            }
            default -> {
                int lanes = Simd.LANES, i = 0;
                for (; i + lanes <= n; i += lanes) Simd.f32(s, off + 4L * i).intoArray(dst, i);
                for (; i < n; i++) dst[i] = s.get(Elements.F32, off + 4L * i);
            }
        }
    }

    /** All heads of one GQA group against one decoded tile: scores and softmax per head, then values by head pairs. */
    private void group(int firstHead, int n, int kb) {
        for (int h = firstHead; h < firstHead + group; h++) scores(h, n, kb);
        int h = firstHead, end = firstHead + group;
        for (; h + 2 <= end; h += 2) values2(h, kb);
        if (h < end) values1(h, kb);
    }

    /** s = q_h . K[j] (pre-scaled q), online-softmax update of m, l; leaves p[j] in {@code probs[h*8+j]} and c in {@code rescale[h]}. */
    private void scores(int h, int n, int kb) {
        int d = headDim, lanes = Simd.LANES, bound = d - d % lanes, qo = h * d;
        float[] k = kTile, s = scores;
        FloatVector s0 = FloatVector.zero(Simd.F), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        for (int i = 0; i < bound; i += lanes) {
            FloatVector qv = FloatVector.fromArray(Simd.F, q, qo + i);
            s0 = qv.fma(FloatVector.fromArray(Simd.F, k, kb + i), s0);
            s1 = qv.fma(FloatVector.fromArray(Simd.F, k, kb + d + i), s1);
            s2 = qv.fma(FloatVector.fromArray(Simd.F, k, kb + 2 * d + i), s2);
            s3 = qv.fma(FloatVector.fromArray(Simd.F, k, kb + 3 * d + i), s3);
            s4 = qv.fma(FloatVector.fromArray(Simd.F, k, kb + 4 * d + i), s4);
            s5 = qv.fma(FloatVector.fromArray(Simd.F, k, kb + 5 * d + i), s5);
            s6 = qv.fma(FloatVector.fromArray(Simd.F, k, kb + 6 * d + i), s6);
            s7 = qv.fma(FloatVector.fromArray(Simd.F, k, kb + 7 * d + i), s7);
        }
        if (Simd.LANES >= TILE) {
            transposeSum(s0, s1, s2, s3, s4, s5, s6, s7).intoArray(s, 0);
        } else {
            s[0] = s0.reduceLanes(VectorOperators.ADD);
            s[1] = s1.reduceLanes(VectorOperators.ADD);
            s[2] = s2.reduceLanes(VectorOperators.ADD);
            s[3] = s3.reduceLanes(VectorOperators.ADD);
            s[4] = s4.reduceLanes(VectorOperators.ADD);
            s[5] = s5.reduceLanes(VectorOperators.ADD);
            s[6] = s6.reduceLanes(VectorOperators.ADD);
            s[7] = s7.reduceLanes(VectorOperators.ADD);
        }
        if (bound < d) {
            for (int j = 0; j < TILE; j++) {
                float t = 0f;
                for (int i = bound; i < d; i++) t += q[qo + i] * k[kb + j * d + i];
                s[j] += t;
            }
        }
        for (int j = n; j < TILE; j++) s[j] = Float.NEGATIVE_INFINITY;   // padding keys get no weight
        // softmax of the tile's 8 scores in one 8-lane vector, exp inline (no call, no register spills)
        FloatVector sv = FloatVector.fromArray(SCORES, s, 0);
        float mOld = m[h], mNew = Math.max(mOld, sv.reduceLanes(VectorOperators.MAX));
        // the running max rarely moves after the first tiles: skip the exp call (it spills vector registers)
        float c = mNew == mOld ? 1f : (float) Math.exp(mOld - mNew);   // exp(-inf) = 0 on the first tile
        FloatVector pv = FastExp.expNonPositive(sv.sub(mNew));
        if (n < TILE) pv = pv.blend(0f, SCORES.indexInRange(0, n).not());   // padding keys weigh exactly 0
        pv.intoArray(probs, h * TILE);
        m[h] = mNew;
        l[h] = l[h] * c + pv.reduceLanes(VectorOperators.ADD);
        rescale[h] = c;
    }

    /** acc_h = acc_h * c_h + sum_j p_hj V[j] for heads h and h+1: each V load feeds two FMAs. */
    private void values2(int h, int kb) {
        int d = headDim, lanes = Simd.LANES, bound = d - d % lanes, qa = h * d, qb = qa + d, pa = h * TILE, pb = pa + TILE;
        float[] v = vTile, p = probs;
        float ca = rescale[h], cb = rescale[h + 1];
        FloatVector a0 = FloatVector.broadcast(Simd.F, p[pa]), a1 = FloatVector.broadcast(Simd.F, p[pa + 1]);
        FloatVector a2 = FloatVector.broadcast(Simd.F, p[pa + 2]), a3 = FloatVector.broadcast(Simd.F, p[pa + 3]);
        FloatVector a4 = FloatVector.broadcast(Simd.F, p[pa + 4]), a5 = FloatVector.broadcast(Simd.F, p[pa + 5]);
        FloatVector a6 = FloatVector.broadcast(Simd.F, p[pa + 6]), a7 = FloatVector.broadcast(Simd.F, p[pa + 7]);
        FloatVector b0 = FloatVector.broadcast(Simd.F, p[pb]), b1 = FloatVector.broadcast(Simd.F, p[pb + 1]);
        FloatVector b2 = FloatVector.broadcast(Simd.F, p[pb + 2]), b3 = FloatVector.broadcast(Simd.F, p[pb + 3]);
        FloatVector b4 = FloatVector.broadcast(Simd.F, p[pb + 4]), b5 = FloatVector.broadcast(Simd.F, p[pb + 5]);
        FloatVector b6 = FloatVector.broadcast(Simd.F, p[pb + 6]), b7 = FloatVector.broadcast(Simd.F, p[pb + 7]);
        for (int i = 0; i < bound; i += lanes) {
            FloatVector x = FloatVector.fromArray(Simd.F, acc, qa + i).mul(ca);
            FloatVector y = FloatVector.fromArray(Simd.F, acc, qb + i).mul(cb);
            FloatVector vj = FloatVector.fromArray(Simd.F, v, kb + i);
            x = vj.fma(a0, x); y = vj.fma(b0, y);
            vj = FloatVector.fromArray(Simd.F, v, kb + d + i);
            x = vj.fma(a1, x); y = vj.fma(b1, y);
            vj = FloatVector.fromArray(Simd.F, v, kb + 2 * d + i);
            x = vj.fma(a2, x); y = vj.fma(b2, y);
            vj = FloatVector.fromArray(Simd.F, v, kb + 3 * d + i);
            x = vj.fma(a3, x); y = vj.fma(b3, y);
            vj = FloatVector.fromArray(Simd.F, v, kb + 4 * d + i);
            x = vj.fma(a4, x); y = vj.fma(b4, y);
            vj = FloatVector.fromArray(Simd.F, v, kb + 5 * d + i);
            x = vj.fma(a5, x); y = vj.fma(b5, y);
            vj = FloatVector.fromArray(Simd.F, v, kb + 6 * d + i);
            x = vj.fma(a6, x); y = vj.fma(b6, y);
            vj = FloatVector.fromArray(Simd.F, v, kb + 7 * d + i);
            x = vj.fma(a7, x); y = vj.fma(b7, y);
            x.intoArray(acc, qa + i);
            y.intoArray(acc, qb + i);
        }
        valuesTail(h, bound, kb);
        valuesTail(h + 1, bound, kb);
    }

    private void values1(int h, int kb) {
        int d = headDim, lanes = Simd.LANES, bound = d - d % lanes, qo = h * d, po = h * TILE;
        float[] v = vTile, p = probs;
        float c = rescale[h];
        FloatVector p0 = FloatVector.broadcast(Simd.F, p[po]), p1 = FloatVector.broadcast(Simd.F, p[po + 1]);
        FloatVector p2 = FloatVector.broadcast(Simd.F, p[po + 2]), p3 = FloatVector.broadcast(Simd.F, p[po + 3]);
        FloatVector p4 = FloatVector.broadcast(Simd.F, p[po + 4]), p5 = FloatVector.broadcast(Simd.F, p[po + 5]);
        FloatVector p6 = FloatVector.broadcast(Simd.F, p[po + 6]), p7 = FloatVector.broadcast(Simd.F, p[po + 7]);
        for (int i = 0; i < bound; i += lanes) {
            // two dependency chains (even and odd keys) so FMA latency overlaps
            FloatVector a = FloatVector.fromArray(Simd.F, acc, qo + i).mul(c);
            FloatVector b = FloatVector.fromArray(Simd.F, v, kb + d + i).mul(p1);
            a = FloatVector.fromArray(Simd.F, v, kb + i).fma(p0, a);
            b = FloatVector.fromArray(Simd.F, v, kb + 3 * d + i).fma(p3, b);
            a = FloatVector.fromArray(Simd.F, v, kb + 2 * d + i).fma(p2, a);
            b = FloatVector.fromArray(Simd.F, v, kb + 5 * d + i).fma(p5, b);
            a = FloatVector.fromArray(Simd.F, v, kb + 4 * d + i).fma(p4, a);
            b = FloatVector.fromArray(Simd.F, v, kb + 7 * d + i).fma(p7, b);
            a = FloatVector.fromArray(Simd.F, v, kb + 6 * d + i).fma(p6, a);
            a.add(b).intoArray(acc, qo + i);
        }
        valuesTail(h, bound, kb);
    }

    /** Scalar tail of the value update for elements {@code [from, headDim)} (head dims not a multiple of the lanes). */
    private void valuesTail(int h, int from, int kb) {
        int d = headDim, qo = h * d, po = h * TILE;
        float c = rescale[h];
        for (int i = from; i < d; i++) {
            float a = acc[qo + i] * c;
            for (int j = 0; j < TILE; j++) a += probs[po + j] * vTile[kb + j * d + i];
            acc[qo + i] = a;
        }
    }

    /**
     * The scalar reference (test oracle): one key at a time, each K/V element read and converted on its own,
     * same online-softmax recurrence in fp32.
     */
    void attendScalar(MemorySegment keys, MemorySegment values, KvGeometry g, int layer, int[] table, int from, int to) {
        DType type = g.dtype();
        int d = headDim;
        long elem = type.bytes();
        for (int pos = from; pos < to; pos++) {
            for (int h = 0; h < heads; h++) {
                long base = g.offset(layer, table[pos / KvGeometry.BLOCK_SIZE], h / group, pos % KvGeometry.BLOCK_SIZE) / elem;
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

    /** Writes {@code acc / l} for every head to the output row at byte {@code outRow}. */
    void storeNormalised(MemorySegment out, long outRow) {
        int d = headDim;
        for (int h = 0; h < heads; h++) {
            float inv = 1f / l[h];
            long o = outRow + (long) h * d * 4;
            for (int i = 0; i < d; i++) out.set(Elements.F32, o + 4L * i, acc[h * d + i] * inv);
        }
    }
}
