package org.apexbench.kernels.cuda;

import java.util.ArrayList;
import java.util.List;
import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.RopeTable;
import org.apexbench.kernels.Weight;

/**
 * Microbenchmarks of every cuda op, timed with CUDA events around repeated launches (after warm-up),
 * each judged against a physical limit measured in the same run: the device-to-device copy bandwidth
 * (read + write bytes per second) for bandwidth-bound ops, and for tensor-core GEMM / prefill
 * attention the achieved TFLOP/s (compared with torch by scripts/gpu_torch_compare.py).
 * The key column matches the keys the torch script writes, so the two CSVs join.
 */
final class GpuBench {
    /** One measured line. {@code ratio} is value / limit (copy bandwidth) where that applies, else NaN. */
    record Row(String key, String op, String shape, double microseconds, double value, String unit, double ratio, String target) {}

    private final CudaBackend b;
    private final List<Row> rows = new ArrayList<>();
    private double copyBandwidth;

    GpuBench(CudaBackend backend) { this.b = backend; }

    List<Row> rows() { return rows; }

    /** Median-free simple timing: total event time of {@code reps} back-to-back runs / reps, in microseconds. */
    private double time(Runnable op, int reps) {
        for (int i = 0; i < 3; i++) op.run();
        CudaEvent start = b.recordTiming(StreamRole.COMPUTE);
        for (int i = 0; i < reps; i++) op.run();
        CudaEvent end = b.recordTiming(StreamRole.COMPUTE);
        double us = b.elapsedMillis(start, end) * 1000.0 / reps;
        b.release(start);
        b.release(end);
        b.synchronize();  // lets the metadata staging arena be reused
        return us;
    }

    private void add(String key, String op, String shape, double us, double value, String unit, double ratio, String target) {
        Row r = new Row(key, op, shape, us, value, unit, ratio, target);
        rows.add(r);
        System.out.printf("%-18s %-40s %10.1f us %9.1f %-7s %s %s%n", op, shape, us, value, unit,
                Double.isNaN(ratio) ? "" : String.format("%5.1f%% of copy BW", 100 * ratio), target);
    }

    private Weight weight(int n, int k, DType t) {
        DeviceBuffer d = b.allocate((long) n * k * t.bytes());  // zeros: speed does not depend on values
        return new Weight("bench", d, t, n, k);
    }

    void runAll() {
        copy();
        for (int[] nk : new int[][] {{4096, 4096}, {11008, 4096}, {4096, 11008}}) {
            for (int rows : new int[] {1, 4, 16, 32, 64}) decodeGemm(nk[0], nk[1], rows);
        }
        for (int[] nk : new int[][] {{4096, 4096}, {11008, 4096}, {4096, 11008}}) prefillGemm(nk[0], nk[1], 2048);
        for (int ctx : new int[] {1024, 4096, 16384}) {
            for (int batch : new int[] {1, 8, 32}) {
                if ((long) ctx * batch <= 32L * 4096) decodeAttention(batch, ctx);
            }
        }
        prefillAttention(2048);
        elementwise();
        graphs();
    }

    private void copy() {
        long bytes = 1L << 30;
        DeviceBuffer src = b.allocate(bytes), dst = b.allocate(bytes);
        double us = time(() -> b.copy(src, 0, dst, 0, bytes), 10);
        copyBandwidth = 2.0 * bytes / (us * 1e-6);
        add("copy_d2d/1GiB", "copy_d2d", "1 GiB (read+write)", us, copyBandwidth / 1e9, "GB/s", 1.0,
                String.format("(theoretical DRAM %.0f GB/s)", b.peakBandwidth() / 1e9));
        b.free(src);
        b.free(dst);
    }

    private void decodeGemm(int n, int k, int rows) {
        Weight w = weight(n, k, DType.F16);
        DeviceBuffer x = b.allocate((long) rows * k * 2), out = b.allocate((long) rows * n * 2);
        double us = time(() -> b.gemm(x, w, rows, out, false), 50);
        double bytes = (double) n * k * 2 + (double) rows * (k + n) * 2;
        double bw = bytes / (us * 1e-6);
        String path = rows <= CudaBackend.GEMV_MAX_ROWS ? "gemv" : "tensor cores";
        add("gemm_decode/" + rows + "x" + k + "x" + n, "gemm_decode", rows + " rows x [" + n + "x" + k + "] f16 " + path, us, bw / 1e9,
                "GB/s", bw / copyBandwidth, "target >= 70% of weight-read roofline");
        if (rows > CudaBackend.GEMV_MAX_ROWS) {  // the other path, to tune -Dapex.cuda.gemvMaxRows
            b.setGemvMaxRows(rows);
            double alt = time(() -> b.gemm(x, w, rows, out, false), 50);
            b.setGemvMaxRows(CudaBackend.GEMV_MAX_ROWS);
            double altBw = bytes / (alt * 1e-6);
            add("gemm_decode_gemv/" + rows + "x" + k + "x" + n, "gemm_decode", rows + " rows x [" + n + "x" + k + "] f16 gemv", alt,
                    altBw / 1e9, "GB/s", altBw / copyBandwidth, "(alternative path)");
        }
        b.free(w.data());
        b.free(x);
        b.free(out);
    }

    private void prefillGemm(int n, int k, int rows) {
        Weight w = weight(n, k, DType.F16);
        DeviceBuffer x = b.allocate((long) rows * k * 2), out = b.allocate((long) rows * n * 2);
        double us = time(() -> b.gemm(x, w, rows, out, false), 10);
        double tflops = 2.0 * rows * n * k / (us * 1e-6) / 1e12;
        add("gemm_prefill/" + rows + "x" + k + "x" + n, "gemm_prefill", rows + " rows x [" + n + "x" + k + "] f16", us, tflops, "TFLOP/s",
                Double.NaN, "target >= 50% of torch.matmul");
        b.free(w.data());
        b.free(x);
        b.free(out);
    }

    private void decodeAttention(int batch, int ctx) {
        AttentionShape shape = AttentionShape.of(32, 8, 128);
        int blocksPer = (ctx + 15) / 16;
        KvGeometry g = new KvGeometry(1, batch * blocksPer, 8, 128, DType.F16);
        KvPool pool = new KvPool(g, b.allocate(g.bufferBytes()), b.allocate(g.bufferBytes()));
        int[][] tables = new int[batch][blocksPer];
        int[] lens = new int[batch];
        for (int s = 0; s < batch; s++) {
            lens[s] = ctx;
            for (int i = 0; i < blocksPer; i++) tables[s][i] = s * blocksPer + i;
        }
        DeviceBuffer q = b.allocate((long) batch * shape.qWidth() * 2), out = b.allocate((long) batch * shape.qWidth() * 2);
        double us = time(() -> b.decodeAttention(q, pool, 0, tables, lens, batch, shape, out), 20);
        double bytes = 2.0 * batch * ctx * shape.kvWidth() * 2;
        double bw = bytes / (us * 1e-6);
        add("decode_attention/b" + batch + "/ctx" + ctx, "decode_attention", "batch " + batch + " ctx " + ctx + " 32/8 heads d128", us,
                bw / 1e9, "GB/s", bw / copyBandwidth, ctx == 4096 ? "target >= 70% of copy BW" : "");
        b.free(pool.keys());
        b.free(pool.values());
        b.free(q);
        b.free(out);
    }

    private void prefillAttention(int rows) {
        AttentionShape shape = AttentionShape.of(32, 8, 128);
        int blocks = (rows + 15) / 16;
        KvGeometry g = new KvGeometry(1, blocks, 8, 128, DType.F16);
        KvPool pool = new KvPool(g, b.allocate(g.bufferBytes()), b.allocate(g.bufferBytes()));
        int[] table = new int[blocks];
        for (int i = 0; i < blocks; i++) table[i] = i;
        DeviceBuffer q = b.allocate((long) rows * shape.qWidth() * 2), out = b.allocate((long) rows * shape.qWidth() * 2);
        double us = time(() -> b.prefillAttention(q, pool, 0, table, 0, rows, shape, out), 5);
        double flops = 4.0 * shape.heads() * shape.headDim() * ((double) rows * (rows + 1) / 2);
        add("prefill_attention/" + rows, "prefill_attention", rows + " tokens causal 32/8 heads d128", us, flops / (us * 1e-6) / 1e12,
                "TFLOP/s", Double.NaN, "compare torch SDPA");
        b.free(pool.keys());
        b.free(pool.values());
        b.free(q);
        b.free(out);
    }

    private void elementwise() {
        int rows = 64, width = 4096, inter = 11008;
        DeviceBuffer x = b.allocate((long) rows * width * 2), y = b.allocate((long) rows * width * 2);
        Weight norm = weight(1, width, DType.F16);
        double us = time(() -> b.rmsnorm(x, norm, 1e-5f, rows, y), 100);
        bw("rmsnorm", rows + " x " + width, us, 2.0 * rows * width * 2 + width * 2);
        DeviceBuffer gu = b.allocate((long) rows * inter * 4), act = b.allocate((long) rows * inter * 2);
        us = time(() -> b.siluMul(gu, rows, inter, act), 100);
        bw("silu_mul", rows + " x " + inter, us, (double) rows * inter * 6);
        float[] inv = new float[64];
        for (int i = 0; i < 64; i++) inv[i] = (float) Math.pow(10000, -i / 64.0);
        RopeTable table = new RopeTable(128, inv);
        int[] pos = new int[rows];
        for (int i = 0; i < rows; i++) pos[i] = 1000 + i;
        us = time(() -> b.rope(x, rows, 32, pos, table), 100);
        bw("rope", rows + " rows x 32 heads d128", us, 2.0 * rows * width * 2);
        Weight emb = weight(32000, width, DType.F16);
        int[] tokens = new int[rows];
        for (int i = 0; i < rows; i++) tokens[i] = i * 101;
        us = time(() -> b.embedding(emb, tokens, rows, y), 100);
        bw("embedding", rows + " tokens x " + width, us, 2.0 * rows * width * 2);
        KvGeometry g = new KvGeometry(1, 64, 8, 128, DType.F16);
        KvPool pool = new KvPool(g, b.allocate(g.bufferBytes()), b.allocate(g.bufferBytes()));
        int[] slots = new int[rows];
        for (int i = 0; i < rows; i++) slots[i] = i * 7;
        us = time(() -> b.kvAppend(pool, 0, x, y, rows, slots), 100);
        bw("kv_append", rows + " rows x 8 kv heads d128", us, 4.0 * rows * 1024 * 2);
        DeviceBuffer logits = b.allocate(8L * 128256 * 2);
        int[] outTok = new int[8];
        long t0 = System.nanoTime();
        for (int i = 0; i < 20; i++) b.argmax(logits, 8, 128256, outTok);
        add("argmax/8x128256", "argmax (+D2H, host)", "8 rows x 128256 incl. sync", (System.nanoTime() - t0) / 20e3, 0, "", Double.NaN, "");
        t0 = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            b.sample(logits, 8, 128256, new float[] {1, 1, 1, 1, 1, 1, 1, 1}, new float[] {.9f, .9f, .9f, .9f, .9f, .9f, .9f, .9f},
                    new double[] {.1, .2, .3, .4, .5, .6, .7, .8}, outTok);
        }
        add("sample/8x128256", "sample (+D2H, host)", "8 rows x 128256 top-p 0.9 incl. sync", (System.nanoTime() - t0) / 20e3, 0, "",
                Double.NaN, "");
    }

    private void bw(String op, String shape, double us, double bytes) {
        double v = bytes / (us * 1e-6);
        add(op + "/" + shape.replace(' ', '_'), op, shape, us, v / 1e9, "GB/s", v / copyBandwidth, "");
    }

    /** A decode-like op sequence: enqueued op by op vs replayed from a CUDA graph. */
    private void graphs() {
        int width = 4096;
        DeviceBuffer x = b.allocate(width * 2L), y = b.allocate(width * 2L);
        Weight norm = weight(1, width, DType.F16), w = weight(width, width, DType.F16);
        Runnable step = () -> {
            for (int l = 0; l < 8; l++) {
                b.rmsnorm(x, norm, 1e-5f, 1, y);
                b.gemm(y, w, 1, x, true);
            }
        };
        double direct = time(step, 20);
        try (CudaGraph graph = b.capture(step)) {
            double replay = time(graph::replay, 20);
            add("graph/8x(rmsnorm+gemv4096)", "graph_replay", "8 x (rmsnorm + gemv 4096x4096)", replay, direct / replay, "x faster",
                    Double.NaN, String.format("(direct enqueue %.1f us)", direct));
        }
    }

    double copyBandwidth() { return copyBandwidth; }
}
