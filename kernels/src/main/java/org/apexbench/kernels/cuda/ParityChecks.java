package org.apexbench.kernels.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.RopeTable;
import org.apexbench.kernels.Weight;

/**
 * Op-by-op parity of the cuda backend against a reference backend (the cpu backend, fp32) on seeded
 * random inputs. Inputs are rounded to fp16 first, so both backends see identical values; the stated
 * tolerance per op covers fp16 storage of cuda's activations and outputs (2^-11 relative) plus fp32
 * summation-order differences. Used by the GPU JUnit tests and by {@link GpuCheck} (no JUnit needed).
 *
 * <p>Element check: {@code |cuda - ref| <= atol + rtol * |ref|}; a result reports the worst ratio of
 * error to allowance (<= 1 passes).
 */
public final class ParityChecks {
    /** One op/case outcome. */
    public record Result(String op, String detail, double worstRatio, double maxAbsError, boolean passed) {
        @Override public String toString() {
            return String.format("%-6s %-18s %-46s max|err|=%.3g worst err/tol=%.3f", passed ? "PASS" : "FAIL", op, detail,
                    maxAbsError, worstRatio);
        }
    }

    private final Backend cuda;
    private final Backend ref;
    private final SplittableRandom random = new SplittableRandom(42);
    private final List<Result> results = new ArrayList<>();
    private java.util.function.Consumer<Result> listener;

    /** @param reference the cpu backend, or null to run only the checks that need no reference */
    public ParityChecks(Backend cuda, Backend reference) {
        this.cuda = cuda;
        this.ref = reference;
    }

    /** Called with every result as soon as it is known (GpuCheck prints them, so a crash loses nothing). */
    public ParityChecks onResult(java.util.function.Consumer<Result> listener) {
        this.listener = listener;
        return this;
    }

    /**
     * Runs every check; returns all results (also those that failed). A check that throws becomes a
     * failed result naming the exception, and the others still run (after a sticky CUDA error they fail
     * fast with the same error).
     */
    public List<Result> runAll() {
        if (ref != null) {
            for (DType t : List.of(DType.F16, DType.BF16, DType.F32)) guard("embedding", t.toString(), () -> embedding(t));
            for (DType t : List.of(DType.F16, DType.BF16, DType.F32)) guard("rmsnorm", t.toString(), () -> rmsnorm(t));
            for (DType t : List.of(DType.F16, DType.BF16, DType.F32)) {
                for (int rows : new int[] {1, 3, 8, 16, 17, 64, 100}) {
                    guard("gemm", t + " rows " + rows, () -> gemm(t, rows, 264, 136, false));
                }
                guard("gemm", t + " 5x100 +=", () -> gemm(t, 5, 100, 70, true));
                guard("gemm", t + " 33x100 +=", () -> gemm(t, 33, 100, 70, true));
                guard("gemm", t + " split-K", () -> gemm(t, 33, 1024, 72, false));   // few tiles, long K
                guard("gemm", t + " split-K +=", () -> gemm(t, 64, 1000, 72, true)); // K tail and accumulate
                guard("gemm", t + " 128x128", () -> gemm(t, 2048, 72, 1280, true));  // >= 160 large tiles
            }
            guard("rope", "default", () -> rope(false));
            guard("rope", "llama3", () -> rope(true));
            guard("silu_mul", "", this::siluMul);
            for (int[] hk : new int[][] {{8, 8, 16}, {8, 2, 16}, {32, 8, 128}, {16, 2, 64}, {8, 1, 64}}) {
                guard("attention", hk[0] + "/" + hk[1] + " d" + hk[2], () -> attention(hk[0], hk[1], hk[2]));
            }
        }
        guard("argmax/sample", "", this::argmaxAndSample);  // self-checking: runs without a reference too
        guard("mark_nonfinite", "", this::markNonFinite);
        return results;
    }

    private void guard(String op, String detail, Runnable check) {
        try {
            check.run();
        } catch (RuntimeException e) {
            add(new Result(op, detail + " threw " + e, Double.POSITIVE_INFINITY, Double.NaN, false));
        }
    }

    private void add(Result r) {
        results.add(r);
        if (listener != null) listener.accept(r);
    }

    public List<Result> results() { return results; }

    // ---- ops ------------------------------------------------------------------------------------------

    private void embedding(DType t) {
        int vocab = 50, cols = 72;
        float[] table = randomF16(vocab * cols, 1f);
        int[] tokens = {0, 49, 7, 7, 23};
        float[] a = run(cuda, b -> {
            DeviceBuffer out = b.allocate((long) tokens.length * cols * act(b));
            b.embedding(weight(b, "emb", table, vocab, cols, t), tokens, tokens.length, out);
            return get(b, out, tokens.length * cols);
        });
        float[] r = run(ref, b -> {
            DeviceBuffer out = b.allocate((long) tokens.length * cols * act(b));
            b.embedding(weight(b, "emb", table, vocab, cols, t), tokens, tokens.length, out);
            return get(b, out, tokens.length * cols);
        });
        compare("embedding", t + " vocab " + vocab + " x " + cols, a, r, 0, 1e-3);
    }

    private void rmsnorm(DType t) {
        int rows = 3, cols = 4096 + 8;
        float[] x = randomF16(rows * cols, 2f), w = randomF16(cols, 1f);
        Op op = b -> {
            DeviceBuffer out = b.allocate((long) rows * cols * act(b));
            b.rmsnorm(act(b, x), weight(b, "norm", w, 1, cols, t), 1e-5f, rows, out);
            return get(b, out, rows * cols);
        };
        compare("rmsnorm", t + " " + rows + " x " + cols, run(cuda, op), run(ref, op), 1e-3, 2e-3);
    }

    private void gemm(DType t, int rows, int k, int n, boolean accumulate) {
        float[] x = randomF16(rows * k, 1f), w = randomF16(n * k, 0.1f), base = randomF16(rows * n, 1f);
        Op op = b -> {
            DeviceBuffer out = act(b, base);
            b.gemm(act(b, x), weight(b, "w", w, n, k, t), rows, out, accumulate);
            return get(b, out, rows * n);
        };
        String path = rows <= CudaBackend.GEMV_MAX_ROWS ? "gemv" : rows >= 2048 ? "tensor-core 128x128"
                : k >= 512 ? "tensor-core split-K" : "tensor-core";
        compare("gemm", t + " " + rows + "x" + k + " * " + n + "x" + k + "^T " + path + (accumulate ? " +=" : ""),
                run(cuda, op), run(ref, op), 1e-2, 4e-3);
    }

    private void rope(boolean llama3) {
        int rows = 6, heads = 4, d = 64;
        float[] inv = new float[d / 2];
        for (int i = 0; i < d / 2; i++) {
            double f = 1.0 / Math.pow(500000.0, 2.0 * i / d);
            if (llama3) {  // Hugging Face llama3 scaling: factor 8, low 1, high 4, original 8192
                double wavelen = 2 * Math.PI / f, low = 8192 / 1.0, high = 8192 / 4.0;
                if (wavelen > low) f = f / 8;
                else if (wavelen >= high) {
                    double smooth = (8192 / wavelen - 1.0) / (4.0 - 1.0);
                    f = (1 - smooth) * f / 8 + smooth * f;
                }
            }
            inv[i] = (float) f;
        }
        RopeTable table = new RopeTable(d, inv);
        int[] pos = {0, 1, 17, 511, 4095, 8191};
        float[] x = randomF16(rows * heads * d, 1f);
        Op op = b -> {
            DeviceBuffer buf = act(b, x);
            b.rope(buf, rows, heads, pos, table);
            return get(b, buf, x.length);
        };
        compare("rope", (llama3 ? "llama3" : "default") + " positions to 8191", run(cuda, op), run(ref, op), 2e-3, 2e-3);
    }

    private void siluMul() {
        int rows = 5, width = 1000;
        float[] gu = randomF16(rows * 2 * width, 4f);
        Op op = b -> {
            DeviceBuffer out = b.allocate((long) rows * width * act(b));
            b.siluMul(act(b, gu), rows, width, out);
            return get(b, out, rows * width);
        };
        compare("silu_mul", rows + " x " + width, run(cuda, op), run(ref, op), 1e-3, 2e-3);
    }

    /** kvAppend + prefill (fresh and chunked) + decode (one split and split-KV) over shuffled blocks. */
    private void attention(int heads, int kvHeads, int d) {
        AttentionShape shape = AttentionShape.of(heads, kvHeads, d);
        KvGeometry g = new KvGeometry(2, 160, kvHeads, d, DType.F16);
        int layer = 1;
        int[] ctx = {1, 37, 300, 1900};
        int total = 0;
        for (int c : ctx) total += (c + 15) / 16;
        int[] perm = permutation(g.blocks());
        int[][] tables = new int[ctx.length][];
        int next = 0;
        for (int s = 0; s < ctx.length; s++) {
            tables[s] = new int[(ctx[s] + 15) / 16];
            for (int i = 0; i < tables[s].length; i++) tables[s][i] = perm[next++];
        }
        if (total > g.blocks()) throw new IllegalStateException("test geometry too small");
        float[][] ks = new float[ctx.length][], vs = new float[ctx.length][];
        for (int s = 0; s < ctx.length; s++) {
            ks[s] = randomF16(ctx[s] * shape.kvWidth(), 1f);
            vs[s] = randomF16(ctx[s] * shape.kvWidth(), 1f);
        }
        int prefillSeq = 2, chunk = 100;  // sequence 2 (300 tokens): prefill its last 100 after the first 200
        float[] qPrefill = randomF16(chunk * shape.qWidth(), 1f);
        float[] qDecode = randomF16(ctx.length * shape.qWidth(), 1f);
        String what = heads + "/" + kvHeads + " heads, d " + d;
        Op prefill = b -> {
            KvPool pool = fill(b, g, layer, tables, ctx, ks, vs, shape);
            DeviceBuffer out = b.allocate((long) chunk * shape.qWidth() * act(b));
            b.prefillAttention(act(b, qPrefill), pool, layer, tables[prefillSeq], ctx[prefillSeq] - chunk, chunk, shape, out);
            return get(b, out, chunk * shape.qWidth());
        };
        compare("prefill_attention", what + ", rows 200..299 of 300", run(cuda, prefill), run(ref, prefill), 3e-3, 3e-3);
        Op decode = b -> {
            KvPool pool = fill(b, g, layer, tables, ctx, ks, vs, shape);
            DeviceBuffer out = b.allocate((long) ctx.length * shape.qWidth() * act(b));
            b.decodeAttention(act(b, qDecode), pool, layer, tables, ctx, ctx.length, shape, out);
            return get(b, out, ctx.length * shape.qWidth());
        };
        compare("decode_attention", what + ", ctx 1/37/300/1900", run(cuda, decode), run(ref, decode), 3e-3, 3e-3);
        Op single = b -> {  // one sequence, long context: forces split-KV + combine on cuda
            KvPool pool = fill(b, g, layer, tables, ctx, ks, vs, shape);
            DeviceBuffer out = b.allocate((long) shape.qWidth() * act(b));
            b.decodeAttention(act(b, java.util.Arrays.copyOf(qDecode, shape.qWidth())), pool, layer, new int[][] {tables[3]},
                    new int[] {ctx[3]}, 1, shape, out);
            return get(b, out, shape.qWidth());
        };
        compare("decode_attention", what + ", 1 seq ctx 1900 (split-KV)", run(cuda, single), run(ref, single), 3e-3, 3e-3);
    }

    private KvPool fill(Backend b, KvGeometry g, int layer, int[][] tables, int[] ctx, float[][] ks, float[][] vs,
                        AttentionShape shape) {
        KvPool pool = new KvPool(g, b.allocate(g.bufferBytes()), b.allocate(g.bufferBytes()));
        for (int s = 0; s < ctx.length; s++) {
            int[] slots = new int[ctx[s]];
            for (int t = 0; t < ctx[s]; t++) slots[t] = tables[s][t / 16] * 16 + t % 16;
            b.kvAppend(pool, layer, act(b, ks[s]), act(b, vs[s]), ctx[s], slots);
        }
        return pool;
    }

    private void argmaxAndSample() {
        int rows = 4, vocab = 32000;
        float[] logits = randomF16(rows * vocab, 3f);
        int[] best = new int[rows];
        for (int r = 0; r < rows; r++) {  // a unique maximum per row
            int i = random.nextInt(vocab);
            logits[r * vocab + i] = 12f;
            best[r] = i;
        }
        int[] got = new int[rows];
        cuda.argmax(act(cuda, logits), rows, vocab, got);
        add(exact("argmax", rows + " x " + vocab, got, best));
        int[] greedy = new int[rows];
        cuda.sample(act(cuda, logits), rows, vocab, new float[] {0, 0, 0, 0}, new float[] {1, 1, 1, 1}, new double[] {0.5, 0.1, 0.9, 0},
                greedy);
        add(exact("sample", "temperature 0 == argmax", greedy, best));
        int[] nucleusOfOne = new int[rows];
        cuda.sample(act(cuda, logits), rows, vocab, new float[] {1, 1, 1, 1}, new float[] {1e-6f, 1e-6f, 1e-6f, 1e-6f},
                new double[] {0.99, 0.5, 0.0, 0.7}, nucleusOfOne);
        add(exact("sample", "top-p 1e-6 == argmax", nucleusOfOne, best));
        // flat rows: the sample must follow the descending-probability walk computed here in double
        float[] flat = randomF16(rows * vocab, 1f);
        double[] u = {0.0, 0.25, 0.5, 0.999};
        float[] temp = {0.7f, 1f, 1.3f, 1f};
        float[] topP = {0.9f, 0.5f, 1f, 0.95f};
        int[] sampled = new int[rows];
        cuda.sample(act(cuda, flat), rows, vocab, temp, topP, u, sampled);
        int[] expected = new int[rows];
        int[] tolerance = new int[rows];
        for (int r = 0; r < rows; r++) {
            int[] e = walk(flat, r * vocab, vocab, temp[r], topP[r], u[r]);
            expected[r] = e[0];
            tolerance[r] = e[1];
        }
        boolean ok = true;
        StringBuilder detail = new StringBuilder();
        for (int r = 0; r < rows; r++) {
            // float vs double sums may move the choice by a few ranks at most
            int rank = rankOf(flat, r * vocab, vocab, sampled[r]);
            ok &= Math.abs(rank - tolerance[r]) <= 3;
            detail.append(sampled[r] == expected[r] ? "=" : "~");
        }
        add(new Result("sample", "top-p walk (rank within 3) " + detail, ok ? 0 : 2, 0, ok));
    }

    /** Host reference of the sampling convention: {token, its rank in descending order}. */
    static int[] walk(float[] l, int off, int vocab, float temp, float topP, double u) {
        Integer[] idx = new Integer[vocab];
        for (int i = 0; i < vocab; i++) idx[i] = i;
        java.util.Arrays.sort(idx, (a, b) -> l[off + a] != l[off + b] ? Float.compare(l[off + b], l[off + a]) : Integer.compare(a, b));
        double max = l[off + idx[0]], z = 0;
        double[] e = new double[vocab];
        for (int i = 0; i < vocab; i++) {
            e[i] = Math.exp((l[off + idx[i]] - max) / temp);
            z += e[i];
        }
        double mass = 0;
        int n = 0;
        while (n < vocab && mass < topP * z) mass += e[n++];
        double target = u * mass, c = 0;
        for (int i = 0; i < n; i++) {
            c += e[i];
            if (c > target) return new int[] {idx[i], i};
        }
        return new int[] {idx[n - 1], n - 1};
    }

    private static int rankOf(float[] l, int off, int vocab, int token) {
        int rank = 0;
        for (int i = 0; i < vocab; i++) {
            if (l[off + i] > l[off + token] || (l[off + i] == l[off + token] && i < token)) rank++;
        }
        return rank;
    }

    // ---- plumbing -----------------------------------------------------------------------------------

    @FunctionalInterface interface Op { float[] apply(Backend b); }

    private float[] run(Backend b, Op op) {
        float[] r = op.apply(b);
        b.synchronize();
        return r;
    }

    private void compare(String op, String detail, float[] got, float[] want, double atol, double rtol) {
        double worst = 0, maxErr = 0;
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs((double) got[i] - want[i]);
            if (!(err == err)) err = Double.POSITIVE_INFINITY;  // NaN
            maxErr = Math.max(maxErr, err);
            worst = Math.max(worst, err / (atol + rtol * Math.abs(want[i]) + 1e-30));
        }
        add(new Result(op, detail + String.format(" (atol %.0e rtol %.0e)", atol, rtol), worst, maxErr, worst <= 1.0));
    }

    /** Rows with a NaN, an infinity of either sign (also at the last element) or none; flags written at an offset. */
    private void markNonFinite() {
        int rows = 6, width = 4100;  // not a multiple of the block: the strided tail is checked too
        float[] x = randomF16(rows * width, 2f);
        x[width + 7] = Float.NaN;
        x[3 * width + width - 1] = Float.POSITIVE_INFINITY;
        x[4 * width] = Float.NEGATIVE_INFINITY;
        int[] want = {0, 1, 0, 1, 1, 0};
        long offset = 12;
        DeviceBuffer flags = cuda.allocate(offset + 4L * rows);
        cuda.markNonFinite(act(cuda, x), rows, width, flags, offset);
        MemorySegment got = Arena.ofAuto().allocate(4L * rows, 8);
        cuda.read(flags, offset, got);
        add(exact("mark_nonfinite", rows + " x " + width, got.toArray(ValueLayout.JAVA_INT), want));
    }

    private static Result exact(String op, String detail, int[] got, int[] want) {
        boolean ok = java.util.Arrays.equals(got, want);
        return new Result(op, detail + (ok ? "" : " got " + java.util.Arrays.toString(got) + " want " + java.util.Arrays.toString(want)),
                ok ? 0 : 2, 0, ok);
    }

    private float[] randomF16(int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = Float.float16ToFloat(Float.floatToFloat16((float) ((random.nextDouble() * 2 - 1) * scale)));
        return v;
    }

    private int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1), t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    static int act(Backend b) { return b.activationType().bytes(); }

    /** Uploads {@code v} as activations of {@code b}'s type (F16 or F32). */
    static DeviceBuffer act(Backend b, float[] v) {
        return b.upload(encode(v, b.activationType()));
    }

    static Weight weight(Backend b, String name, float[] v, int rows, int cols, DType t) {
        return new Weight(name, b.upload(encode(v, t)), t, rows, cols);
    }

    static MemorySegment encode(float[] v, DType t) {
        MemorySegment s = Arena.ofAuto().allocate((long) v.length * t.bytes(), 8);
        for (int i = 0; i < v.length; i++) {
            switch (t) {
                case F16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, i, Float.floatToFloat16(v[i]));
                case BF16 -> s.setAtIndex(ValueLayout.JAVA_SHORT, i, (short) (Float.floatToRawIntBits(v[i]) >>> 16));
                case F32 -> s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v[i]);
                case I32 -> throw new IllegalArgumentException("I32 is not a float type");
            }
        }
        return s;
    }

    /** Reads {@code n} activations of {@code b} as floats. */
    static float[] get(Backend b, DeviceBuffer buf, int n) {
        DType t = b.activationType();
        MemorySegment s = Arena.ofAuto().allocate((long) n * t.bytes(), 8);
        b.read(buf, 0, s);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = t == DType.F16 ? Float.float16ToFloat(s.getAtIndex(ValueLayout.JAVA_SHORT, i)) : s.getAtIndex(ValueLayout.JAVA_FLOAT, i);
        }
        return v;
    }
}
