package org.apexbench.kernels.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The 512-bit fast path of {@link AttentionWorker}: one whole 16-token block (decoded to fp32 scratch) per
 * step, so the 16 scores of a head fill exactly one 16-lane vector.
 * <pre>
 *   scores: for head pairs, s_j = q_h . K[j] by 4-key quarters (each K load feeds both heads), then ONE transposing reduction
 *           (4 levels of pairwise blend/permute/add) leaves s_j in lane j; softmax of the block on that vector
 *   values: for head pairs and 64-wide slices of the head dim: 8 accumulators (2 heads x 4 slices) stay in
 *           registers over the block's keys; each V slice load feeds two FMAs
 * </pre>
 * Measured on the 2-core Zen 5 VM (in-cache, one thread, fp16): the 8-key tile path spent most of its time
 * in per-tile reductions and softmax bookkeeping; halving their count and keeping accumulators in registers
 * is what this class is for. Used only when the float species has 16 lanes and the head dim is a multiple of 64.
 */
final class Tile16 {
    private Tile16() {}

    static final int KEYS = 16, SLICE = 64;
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;

    private static final VectorShuffle<Float> SWAP1 = VectorShuffle.fromOp(F, i -> i ^ 1);
    private static final VectorShuffle<Float> SWAP2 = VectorShuffle.fromOp(F, i -> i ^ 2);
    private static final VectorShuffle<Float> SWAP4 = VectorShuffle.fromOp(F, i -> i ^ 4);
    private static final VectorShuffle<Float> SWAP8 = VectorShuffle.fromOp(F, i -> i ^ 8);
    private static final VectorMask<Float> BIT1 = VectorMask.fromLong(F, 0xAAAAL);
    private static final VectorMask<Float> BIT2 = VectorMask.fromLong(F, 0xCCCCL);
    private static final VectorMask<Float> BIT4 = VectorMask.fromLong(F, 0xF0F0L);
    private static final VectorMask<Float> BIT8 = VectorMask.fromLong(F, 0xFF00L);

    static boolean applies(int headDim) { return Simd.LANES == KEYS && headDim % SLICE == 0; }

    /** Lanes i and i^k paired: lane i gets a's pair sum if bit k of i is clear, else b's. */
    private static FloatVector level(FloatVector a, FloatVector b, VectorShuffle<Float> swap, VectorMask<Float> bit) {
        return a.blend(b, bit).add(b.blend(a, bit).rearrange(swap));
    }

    /** Lane i of out[outOff..+16): lanes {i, i^1, .., i^7} of q . K[kb/d + (i & 7)] summed (3 of 4 reduction levels). */
    private static void dot8(float[] q, int qo, float[] k, int kb, int d, float[] out, int outOff) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        for (int i = 0; i < d; i += KEYS) {
            FloatVector qv = FloatVector.fromArray(F, q, qo + i);
            s0 = qv.fma(FloatVector.fromArray(F, k, kb + i), s0);
            s1 = qv.fma(FloatVector.fromArray(F, k, kb + d + i), s1);
            s2 = qv.fma(FloatVector.fromArray(F, k, kb + 2 * d + i), s2);
            s3 = qv.fma(FloatVector.fromArray(F, k, kb + 3 * d + i), s3);
            s4 = qv.fma(FloatVector.fromArray(F, k, kb + 4 * d + i), s4);
            s5 = qv.fma(FloatVector.fromArray(F, k, kb + 5 * d + i), s5);
            s6 = qv.fma(FloatVector.fromArray(F, k, kb + 6 * d + i), s6);
            s7 = qv.fma(FloatVector.fromArray(F, k, kb + 7 * d + i), s7);
        }
        level(level(level(s0, s1, SWAP1, BIT1), level(s2, s3, SWAP1, BIT1), SWAP2, BIT2),
                level(level(s4, s5, SWAP1, BIT1), level(s6, s7, SWAP1, BIT1), SWAP2, BIT2), SWAP4, BIT4).intoArray(out, outOff);
    }

    /** Keys kb/d .. +3 against heads at q offsets qa, qb (each K load feeds two FMAs); 2 of 4 reduction levels. */
    private static void dot4x2(float[] q, int qa, int qb, float[] k, int kb, int d, float[] out, int outA, int outB) {
        FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0, t0 = s0, t1 = s0, t2 = s0, t3 = s0;
        for (int i = 0; i < d; i += KEYS) {
            FloatVector x = FloatVector.fromArray(F, q, qa + i), y = FloatVector.fromArray(F, q, qb + i);
            FloatVector kv = FloatVector.fromArray(F, k, kb + i);
            s0 = x.fma(kv, s0); t0 = y.fma(kv, t0);
            kv = FloatVector.fromArray(F, k, kb + d + i);
            s1 = x.fma(kv, s1); t1 = y.fma(kv, t1);
            kv = FloatVector.fromArray(F, k, kb + 2 * d + i);
            s2 = x.fma(kv, s2); t2 = y.fma(kv, t2);
            kv = FloatVector.fromArray(F, k, kb + 3 * d + i);
            s3 = x.fma(kv, s3); t3 = y.fma(kv, t3);
        }
        level(level(s0, s1, SWAP1, BIT1), level(s2, s3, SWAP1, BIT1), SWAP2, BIT2).intoArray(out, outA);
        level(level(t0, t1, SWAP1, BIT1), level(t2, t3, SWAP1, BIT1), SWAP2, BIT2).intoArray(out, outB);
    }

    /**
     * {@link #scores} for heads {@code h} and {@code h+1}; {@code halves} holds 128 floats. By 4-key quarters:
     * a 2-head x 8-key method (16 accumulators) ran 2x slower (C2 inlining budget, as for one 16-key method).
     */
    static void scores2(float[] q, float[] k, int kb, int d, int h, int n, float[] m, float[] lv, float[] probs, float[] rescale,
                        float[] halves) {
        int qa = h * d, qb = qa + d;
        for (int j = 0; j < 4; j++) dot4x2(q, qa, qb, k, kb + 4 * j * d, d, halves, j * KEYS, (4 + j) * KEYS);
        softmax4(halves, 0, h, n, m, lv, probs, rescale);
        softmax4(halves, 4 * KEYS, h + 1, n, m, lv, probs, rescale);
    }

    /**
     * Scores of head {@code h} against the {@code n <= 16} keys in {@code k} (rows of {@code d} floats), online
     * softmax update of {@code m[h]} and the lane-wise denominator {@code lv[16h..16h+16)}; leaves p_j in {@code probs[16h + j]} (0 for padding) and the
     * accumulator rescale factor in {@code rescale[h]}.
     */
    static void scores(float[] q, float[] k, int kb, int d, int h, int n, float[] m, float[] lv, float[] probs, float[] rescale,
                       float[] halves) {
        int qo = h * d;
        // Two 8-key halves, each its own small method that hands its vector over through {@code halves}: one
        // method with 16 accumulators exceeded C2's inlining budget, and a vector returned from a call that is
        // not inlined is boxed (allocated); either made the block 2-3x slower.
        dot8(q, qo, k, kb, d, halves, 0);
        dot8(q, qo, k, kb + 8 * d, d, halves, KEYS);
        softmax(halves, 0, h, n, m, lv, probs, rescale);
    }

    /** {@link #softmax} from four 4-key quarters at {@code quarters[off..off+64)}. */
    private static void softmax4(float[] quarters, int off, int h, int n, float[] m, float[] lv, float[] probs, float[] rescale) {
        FloatVector lo = level(FloatVector.fromArray(F, quarters, off), FloatVector.fromArray(F, quarters, off + KEYS), SWAP4, BIT4);
        FloatVector hi = level(FloatVector.fromArray(F, quarters, off + 2 * KEYS), FloatVector.fromArray(F, quarters, off + 3 * KEYS), SWAP4, BIT4);
        update(level(lo, hi, SWAP8, BIT8), h, n, m, lv, probs, rescale);
    }

    /** Online-softmax update of head {@code h} from the two 8-key halves at {@code halves[off..off+32)}. */
    private static void softmax(float[] halves, int off, int h, int n, float[] m, float[] lv, float[] probs, float[] rescale) {
        update(level(FloatVector.fromArray(F, halves, off), FloatVector.fromArray(F, halves, off + KEYS), SWAP8, BIT8), h, n, m, lv, probs, rescale);
    }

    /**
     * Online-softmax update of head {@code h} from its 16 scores (lane j = q_h . K[j]). The denominator is kept
     * lane-wise in {@code lv[16h..16h+16)} and summed once per context ({@link #sumLanes}), and the running max
     * is only reduced when some score exceeds it (one compare instead of a cross-lane reduction per block):
     * measured in-cache (4 hot blocks), 1 thread, fp16, alternating runs: decode+scores 23.3 -> 24.8 GB/s,
     * decode+scores+values 17.6 -> 18.8 GB/s, whole attend 16.3 -> 16.7 GB/s.
     */
    private static void update(FloatVector a, int h, int n, float[] m, float[] lv, float[] probs, float[] rescale) {
        if (n < KEYS) a = a.blend(Float.NEGATIVE_INFINITY, F.indexInRange(0, n).not());   // padding keys get no weight
        float mOld = m[h], mNew = mOld, c = 1f;
        if (a.compare(VectorOperators.GT, mOld).anyTrue()) {
            mNew = a.reduceLanes(VectorOperators.MAX);
            c = (float) Math.exp(mOld - mNew);   // exp(-inf) = 0 on the first block
            m[h] = mNew;
        }
        FloatVector p = FastExp.expNonPositive(a.sub(mNew));
        if (n < KEYS) p = p.blend(0f, F.indexInRange(0, n).not());   // padding keys weigh exactly 0
        p.intoArray(probs, h * KEYS);
        FloatVector.fromArray(F, lv, h * KEYS).fma(FloatVector.broadcast(F, c), p).intoArray(lv, h * KEYS);
        rescale[h] = c;
    }

    /** Starts the lane-wise denominators of heads {@code [0, heads)} from {@code l} (lane 0 carries it). */
    static void startLanes(float[] l, float[] lv, int heads) {
        java.util.Arrays.fill(lv, 0, heads * KEYS, 0f);
        for (int h = 0; h < heads; h++) lv[h * KEYS] = l[h];
    }

    /** Folds the lane-wise denominators back into {@code l}. */
    static void sumLanes(float[] lv, float[] l, int heads) {
        for (int h = 0; h < heads; h++) l[h] = FloatVector.fromArray(F, lv, h * KEYS).reduceLanes(VectorOperators.ADD);
    }

    /** acc_h = acc_h c_h + sum_j p_hj V[j] for heads h and h+1 over the {@code n} keys of {@code v}. */
    static void values2(float[] acc, float[] v, int kb, int d, int h, int n, float[] probs, float[] rescale) {
        int ao = h * d, bo = ao + d, pa = h * KEYS, pb = pa + KEYS;
        float ca = rescale[h], cb = rescale[h + 1];
        for (int c0 = 0; c0 < d; c0 += SLICE) {
            FloatVector a0 = FloatVector.fromArray(F, acc, ao + c0).mul(ca);
            FloatVector a1 = FloatVector.fromArray(F, acc, ao + c0 + 16).mul(ca);
            FloatVector a2 = FloatVector.fromArray(F, acc, ao + c0 + 32).mul(ca);
            FloatVector a3 = FloatVector.fromArray(F, acc, ao + c0 + 48).mul(ca);
            FloatVector b0 = FloatVector.fromArray(F, acc, bo + c0).mul(cb);
            FloatVector b1 = FloatVector.fromArray(F, acc, bo + c0 + 16).mul(cb);
            FloatVector b2 = FloatVector.fromArray(F, acc, bo + c0 + 32).mul(cb);
            FloatVector b3 = FloatVector.fromArray(F, acc, bo + c0 + 48).mul(cb);
            for (int j = 0, row = kb + c0; j < n; j++, row += d) {
                FloatVector x = FloatVector.broadcast(F, probs[pa + j]), y = FloatVector.broadcast(F, probs[pb + j]);
                FloatVector v0 = FloatVector.fromArray(F, v, row), v1 = FloatVector.fromArray(F, v, row + 16);
                FloatVector v2 = FloatVector.fromArray(F, v, row + 32), v3 = FloatVector.fromArray(F, v, row + 48);
                a0 = v0.fma(x, a0); b0 = v0.fma(y, b0);
                a1 = v1.fma(x, a1); b1 = v1.fma(y, b1);
                a2 = v2.fma(x, a2); b2 = v2.fma(y, b2);
                a3 = v3.fma(x, a3); b3 = v3.fma(y, b3);
            }
            a0.intoArray(acc, ao + c0); a1.intoArray(acc, ao + c0 + 16);
            a2.intoArray(acc, ao + c0 + 32); a3.intoArray(acc, ao + c0 + 48);
            b0.intoArray(acc, bo + c0); b1.intoArray(acc, bo + c0 + 16);
            b2.intoArray(acc, bo + c0 + 32); b3.intoArray(acc, bo + c0 + 48);
        }
    }

    /** {@link #values2} for heads h..h+3 over 32-wide slices: each V load feeds four FMAs. */
    static void values4(float[] acc, float[] v, int kb, int d, int h, int n, float[] probs, float[] rescale) {
        int o0 = h * d, o1 = o0 + d, o2 = o1 + d, o3 = o2 + d, p0 = h * KEYS;
        float c0s = rescale[h], c1s = rescale[h + 1], c2s = rescale[h + 2], c3s = rescale[h + 3];
        for (int c0 = 0; c0 < d; c0 += 32) {
            FloatVector a0 = FloatVector.fromArray(F, acc, o0 + c0).mul(c0s), a1 = FloatVector.fromArray(F, acc, o0 + c0 + 16).mul(c0s);
            FloatVector b0 = FloatVector.fromArray(F, acc, o1 + c0).mul(c1s), b1 = FloatVector.fromArray(F, acc, o1 + c0 + 16).mul(c1s);
            FloatVector e0 = FloatVector.fromArray(F, acc, o2 + c0).mul(c2s), e1 = FloatVector.fromArray(F, acc, o2 + c0 + 16).mul(c2s);
            FloatVector f0 = FloatVector.fromArray(F, acc, o3 + c0).mul(c3s), f1 = FloatVector.fromArray(F, acc, o3 + c0 + 16).mul(c3s);
            for (int j = 0, row = kb + c0; j < n; j++, row += d) {
                FloatVector v0 = FloatVector.fromArray(F, v, row), v1 = FloatVector.fromArray(F, v, row + 16);
                FloatVector x = FloatVector.broadcast(F, probs[p0 + j]);
                a0 = v0.fma(x, a0); a1 = v1.fma(x, a1);
                x = FloatVector.broadcast(F, probs[p0 + KEYS + j]);
                b0 = v0.fma(x, b0); b1 = v1.fma(x, b1);
                x = FloatVector.broadcast(F, probs[p0 + 2 * KEYS + j]);
                e0 = v0.fma(x, e0); e1 = v1.fma(x, e1);
                x = FloatVector.broadcast(F, probs[p0 + 3 * KEYS + j]);
                f0 = v0.fma(x, f0); f1 = v1.fma(x, f1);
            }
            a0.intoArray(acc, o0 + c0); a1.intoArray(acc, o0 + c0 + 16);
            b0.intoArray(acc, o1 + c0); b1.intoArray(acc, o1 + c0 + 16);
            e0.intoArray(acc, o2 + c0); e1.intoArray(acc, o2 + c0 + 16);
            f0.intoArray(acc, o3 + c0); f1.intoArray(acc, o3 + c0 + 16);
        }
    }

    /** The single-head version of {@link #values2} (odd group sizes). */
    static void values1(float[] acc, float[] v, int kb, int d, int h, int n, float[] probs, float[] rescale) {
        int ao = h * d, pa = h * KEYS;
        float ca = rescale[h];
        for (int c0 = 0; c0 < d; c0 += SLICE) {
            FloatVector a0 = FloatVector.fromArray(F, acc, ao + c0).mul(ca);
            FloatVector a1 = FloatVector.fromArray(F, acc, ao + c0 + 16).mul(ca);
            FloatVector a2 = FloatVector.fromArray(F, acc, ao + c0 + 32).mul(ca);
            FloatVector a3 = FloatVector.fromArray(F, acc, ao + c0 + 48).mul(ca);
            for (int j = 0, row = kb + c0; j < n; j++, row += d) {
                FloatVector x = FloatVector.broadcast(F, probs[pa + j]);
                a0 = FloatVector.fromArray(F, v, row).fma(x, a0);
                a1 = FloatVector.fromArray(F, v, row + 16).fma(x, a1);
                a2 = FloatVector.fromArray(F, v, row + 32).fma(x, a2);
                a3 = FloatVector.fromArray(F, v, row + 48).fma(x, a3);
            }
            a0.intoArray(acc, ao + c0); a1.intoArray(acc, ao + c0 + 16);
            a2.intoArray(acc, ao + c0 + 32); a3.intoArray(acc, ao + c0 + 48);
        }
    }
}
