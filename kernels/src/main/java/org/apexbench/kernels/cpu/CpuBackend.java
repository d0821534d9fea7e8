package org.apexbench.kernels.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.BackendUnavailableException;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.RopeTable;
import org.apexbench.kernels.Weight;

/**
 * The CPU backend: FFM memory and Vector API kernels on a dedicated worker pool. Synchronous: every op is
 * done when it returns. Activations are fp32; weights fp32, fp16 or bf16; KV pools fp32, fp16 or bf16.
 * Every op checks its buffer sizes and shapes and says what it expected.
 */
public final class CpuBackend implements Backend {
    private final Arena arena = Arena.ofShared();
    private final WorkerPool pool;
    private final boolean vector;
    private final Gemm gemm;
    private final DecodeAttention decode;
    private final PrefillAttention prefill;
    private final Sampler sampler = new Sampler();
    private float[] ropeCos = new float[0], ropeSin = new float[0];
    private volatile boolean closed;

    /** @param threads worker threads (0 = all available processors); vector width from {@code apex.vectorBits}. */
    public CpuBackend(int threads) { this(threads, true); }

    /**
     * @param threads    worker threads, 0 = {@code Runtime.availableProcessors()}
     * @param vectorised false forces the scalar reference paths (as {@code -Dapex.vectorBits=0} does)
     */
    public CpuBackend(int threads, boolean vectorised) {
        if (threads < 0) throw new IllegalArgumentException("cpu backend: threads must be >= 0 (0 = all cores), got " + threads);
        if (Simd.CONFIG_ERROR != null) throw new BackendUnavailableException("cpu backend: " + Simd.CONFIG_ERROR);
        if (!ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            throw new BackendUnavailableException("cpu backend needs the Vector API: start the JVM with --add-modules jdk.incubator.vector");
        }
        int n = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        this.pool = new WorkerPool(n);
        this.vector = vectorised && Simd.enabled();
        this.gemm = new Gemm(pool);
        this.decode = new DecodeAttention(pool);
        this.prefill = new PrefillAttention(pool);
    }

    @Override public String name() { return "cpu"; }

    @Override
    public String describe() {
        return "cpu vector=" + (vector ? Simd.describe() : "scalar") + " threads=" + pool.threads()
                + " jdk=" + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")";
    }

    @Override public DType activationType() { return DType.F32; }

    public int threads() { return pool.threads(); }

    WorkerPool pool() { return pool; }

    public boolean vectorised() { return vector; }

    // ---- memory -------------------------------------------------------------------------------

    @Override
    public DeviceBuffer allocate(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("allocate: negative size " + bytes);
        open();
        return new CpuBuffer(arena.allocate(Math.max(bytes, 1), 64).asSlice(0, bytes));
    }

    /** A mapped file is used in place (no copy); any other host memory is copied into backend memory. */
    @Override
    public DeviceBuffer upload(MemorySegment host) {
        open();
        if (host.isMapped()) return new CpuBuffer(host);
        CpuBuffer copy = (CpuBuffer) allocate(host.byteSize());
        MemorySegment.copy(host, 0, copy.segment(), 0, host.byteSize());
        return copy;
    }

    @Override
    public void write(MemorySegment src, DeviceBuffer dst, long dstOffset) {
        MemorySegment d = seg(dst, "write dst");
        range("write", dstOffset, src.byteSize(), d.byteSize());
        MemorySegment.copy(src, 0, d, dstOffset, src.byteSize());
    }

    @Override
    public void read(DeviceBuffer src, long srcOffset, MemorySegment dst) {
        MemorySegment s = seg(src, "read src");
        range("read", srcOffset, dst.byteSize(), s.byteSize());
        MemorySegment.copy(s, srcOffset, dst, 0, dst.byteSize());
    }

    @Override
    public void copy(DeviceBuffer src, long srcOffset, DeviceBuffer dst, long dstOffset, long bytes) {
        MemorySegment s = seg(src, "copy src"), d = seg(dst, "copy dst");
        range("copy (source)", srcOffset, bytes, s.byteSize());
        range("copy (destination)", dstOffset, bytes, d.byteSize());
        MemorySegment.copy(s, srcOffset, d, dstOffset, bytes);
    }

    @Override public void synchronize() { /* every op is complete when it returns */ }

    // ---- ops ----------------------------------------------------------------------------------

    @Override
    public void embedding(Weight table, int[] tokens, int count, DeviceBuffer out) {
        floatWeight("embedding", table);
        positive("embedding", "count", count);
        length("embedding", "tokens", tokens.length, count);
        for (int i = 0; i < count; i++) {
            if (tokens[i] < 0 || tokens[i] >= table.rows()) {
                throw new IllegalArgumentException("embedding: tokens[" + i + "] = " + tokens[i] + " is outside the vocabulary [0, "
                        + table.rows() + ") of " + table.name());
            }
        }
        MemorySegment o = need(out, "embedding", "out", count, table.cols(), null, (long) count * table.cols() * 4);
        MemorySegment t = seg(table.data(), "embedding table");
        if (vector) Embedding.fast(t, table.dtype(), table.cols(), tokens, count, o);
        else Embedding.scalar(t, table.dtype(), table.cols(), tokens, count, o);
    }

    @Override
    public void rmsnorm(DeviceBuffer x, Weight weight, float eps, int rows, DeviceBuffer out) {
        floatWeight("rmsnorm", weight);
        if (weight.rows() != 1) {
            throw new IllegalArgumentException("rmsnorm: weight " + weight.name() + " must be one row, got [" + weight.rows()
                    + "x" + weight.cols() + "]");
        }
        positive("rmsnorm", "rows", rows);
        long bytes = (long) rows * weight.cols() * 4;
        MemorySegment xs = need(x, "rmsnorm", "x", rows, weight.cols(), null, bytes), os = need(out, "rmsnorm", "out", rows, weight.cols(), null, bytes);
        MemorySegment w = seg(weight.data(), "rmsnorm weight");
        if (vector) RmsNorm.fast(xs, w, weight.dtype(), eps, rows, weight.cols(), os);
        else RmsNorm.scalar(xs, w, weight.dtype(), eps, rows, weight.cols(), os);
    }

    @Override
    public void gemm(DeviceBuffer x, Weight w, int rows, DeviceBuffer out, boolean accumulate) {
        floatWeight("gemm", w);
        positive("gemm", "rows", rows);
        MemorySegment xs = need(x, "gemm", "x", rows, w.cols(), w.name(), (long) rows * w.cols() * 4);
        MemorySegment os = need(out, "gemm", "out", rows, w.rows(), w.name(), (long) rows * w.rows() * 4);
        gemm.run(xs, seg(w.data(), "gemm weight"), w.dtype(), rows, w.cols(), w.rows(), os, accumulate, vector);
    }

    @Override
    public synchronized void rope(DeviceBuffer x, int rows, int heads, int[] positions, RopeTable rope) {
        positive("rope", "rows", rows);
        positive("rope", "heads", heads);
        length("rope", "positions", positions.length, rows);
        for (int r = 0; r < rows; r++) {
            if (positions[r] < 0) throw new IllegalArgumentException("rope: positions[" + r + "] = " + positions[r] + " is negative");
        }
        MemorySegment xs = need(x, "rope", "x", rows, (long) heads * rope.headDim(), null, (long) rows * heads * rope.headDim() * 4);
        int half = rope.headDim() / 2;
        if (ropeCos.length < half) {
            ropeCos = new float[half];
            ropeSin = new float[half];
        }
        if (vector) Rope.fast(xs, rows, heads, rope.headDim(), positions, rope.invFreq(), ropeCos, ropeSin);
        else Rope.scalar(xs, rows, heads, rope.headDim(), positions, rope.invFreq(), ropeCos, ropeSin);
    }

    @Override
    public void siluMul(DeviceBuffer gateUp, int rows, int width, DeviceBuffer out) {
        positive("siluMul", "rows", rows);
        positive("siluMul", "width", width);
        MemorySegment g = need(gateUp, "siluMul", "gateUp", rows, 2L * width, null, (long) rows * 2 * width * 4);
        MemorySegment o = need(out, "siluMul", "out", rows, width, null, (long) rows * width * 4);
        if (vector) SiluMul.fast(g, rows, width, o);
        else SiluMul.scalar(g, rows, width, o);
    }

    @Override
    public void kvAppend(KvPool pool, int layer, DeviceBuffer k, DeviceBuffer v, int rows, int[] slots) {
        KvGeometry g = pool.geometry();
        layer("kvAppend", g, layer);
        positive("kvAppend", "rows", rows);
        length("kvAppend", "slots", slots.length, rows);
        long capacity = (long) g.blocks() * KvGeometry.BLOCK_SIZE;
        for (int r = 0; r < rows; r++) {
            if (slots[r] < 0 || slots[r] >= capacity) {
                throw new IllegalArgumentException("kvAppend: slots[" + r + "] = " + slots[r] + " is outside the pool's "
                        + capacity + " token slots (" + g.blocks() + " blocks of 16)");
            }
        }
        long bytes = (long) rows * g.kvHeads() * g.headDim() * 4;
        MemorySegment ks = need(k, "kvAppend", "k", rows, (long) g.kvHeads() * g.headDim(), null, bytes);
        MemorySegment vs = need(v, "kvAppend", "v", rows, (long) g.kvHeads() * g.headDim(), null, bytes);
        MemorySegment kp = seg(pool.keys(), "KV pool keys"), vp = seg(pool.values(), "KV pool values");
        if (vector) KvAppend.fast(g, kp, vp, layer, ks, vs, rows, slots);
        else KvAppend.scalar(g, kp, vp, layer, ks, vs, rows, slots);
    }

    @Override
    public void prefillAttention(DeviceBuffer q, KvPool pool, int layer, int[] blockTable, int startPos, int rows,
                                 AttentionShape shape, DeviceBuffer out) {
        KvGeometry g = pool.geometry();
        attentionShape("prefillAttention", g, shape, layer);
        positive("prefillAttention", "rows", rows);
        if (startPos < 0) throw new IllegalArgumentException("prefillAttention: startPos must be >= 0, got " + startPos);
        blockTable("prefillAttention", -1, g, blockTable, (long) startPos + rows);
        long bytes = (long) rows * shape.qWidth() * 4;
        MemorySegment qs = need(q, "prefillAttention", "q", rows, shape.qWidth(), null, bytes);
        MemorySegment os = need(out, "prefillAttention", "out", rows, shape.qWidth(), null, bytes);
        prefill.run(qs, seg(pool.keys(), "KV pool keys"), seg(pool.values(), "KV pool values"), g, layer, blockTable,
                startPos, rows, shape, os, vector);
    }

    @Override
    public void decodeAttention(DeviceBuffer q, KvPool pool, int layer, int[][] blockTables, int[] contextLens, int count,
                                AttentionShape shape, DeviceBuffer out) {
        decodeAttention(q, pool, layer, blockTables, contextLens, count, shape, out, 0);
    }

    /**
     * {@link #decodeAttention(DeviceBuffer, KvPool, int, int[][], int[], int, AttentionShape, DeviceBuffer)} with
     * every context cut into segments of {@code segmentTokens} tokens (a positive multiple of 16; 0 = automatic),
     * merged by log-sum-exp. For tests and benchmarks of the split path.
     */
    public void decodeAttention(DeviceBuffer q, KvPool pool, int layer, int[][] blockTables, int[] contextLens, int count,
                                AttentionShape shape, DeviceBuffer out, int segmentTokens) {
        KvGeometry g = pool.geometry();
        attentionShape("decodeAttention", g, shape, layer);
        positive("decodeAttention", "count", count);
        length("decodeAttention", "blockTables", blockTables.length, count);
        length("decodeAttention", "contextLens", contextLens.length, count);
        if (segmentTokens < 0 || segmentTokens % KvGeometry.BLOCK_SIZE != 0) {
            throw new IllegalArgumentException("decodeAttention: segmentTokens must be 0 or a positive multiple of 16, got " + segmentTokens);
        }
        for (int i = 0; i < count; i++) {
            if (contextLens[i] <= 0) {
                throw new IllegalArgumentException("decodeAttention: contextLens[" + i + "] = " + contextLens[i]
                        + ": a decoding sequence attends to at least its own token");
            }
            blockTable("decodeAttention", i, g, blockTables[i], contextLens[i]);
        }
        long bytes = (long) count * shape.qWidth() * 4;
        MemorySegment qs = need(q, "decodeAttention", "q", count, shape.qWidth(), null, bytes);
        MemorySegment os = need(out, "decodeAttention", "out", count, shape.qWidth(), null, bytes);
        decode.run(qs, seg(pool.keys(), "KV pool keys"), seg(pool.values(), "KV pool values"), g, layer, blockTables,
                contextLens, count, shape, os, vector, segmentTokens);
    }

    @Override
    public void markNonFinite(DeviceBuffer x, int rows, int width, DeviceBuffer flags, long flagsOffset) {
        positive("markNonFinite", "rows", rows);
        positive("markNonFinite", "width", width);
        MemorySegment in = need(x, "markNonFinite", "x", rows, width, null, (long) rows * width * 4);
        MemorySegment f = seg(flags, "markNonFinite flags");
        range("markNonFinite flags", flagsOffset, 4L * rows, f.byteSize());
        if (vector) NonFinite.fast(in, rows, width, f, flagsOffset);
        else NonFinite.scalar(in, rows, width, f, flagsOffset);
    }

    @Override
    public void argmax(DeviceBuffer logits, int rows, int vocab, int[] out) {
        MemorySegment l = logits("argmax", logits, rows, vocab);
        length("argmax", "out", out.length, rows);
        for (int r = 0; r < rows; r++) {
            long off = (long) r * vocab * 4;
            out[r] = vector ? Argmax.fast(l, off, vocab) : Argmax.scalar(l, off, vocab);
        }
    }

    @Override
    public void sample(DeviceBuffer logits, int rows, int vocab, float[] temperature, float[] topP, double[] uniform,
                       int[] out) {
        MemorySegment l = logits("sample", logits, rows, vocab);
        length("sample", "temperature", temperature.length, rows);
        length("sample", "topP", topP.length, rows);
        length("sample", "uniform", uniform.length, rows);
        length("sample", "out", out.length, rows);
        for (int r = 0; r < rows; r++) {
            if (!(temperature[r] >= 0f) || Float.isInfinite(temperature[r])) {
                throw new IllegalArgumentException("sample: temperature[" + r + "] = " + temperature[r] + ", expected a finite value >= 0");
            }
            if (!(topP[r] > 0f && topP[r] <= 1f)) {
                throw new IllegalArgumentException("sample: topP[" + r + "] = " + topP[r] + ", expected 0 < topP <= 1");
            }
            if (!(uniform[r] >= 0 && uniform[r] < 1)) {
                throw new IllegalArgumentException("sample: uniform[" + r + "] = " + uniform[r] + ", expected a draw in [0, 1)");
            }
        }
        for (int r = 0; r < rows; r++) {
            out[r] = sampler.sample(l, (long) r * vocab * 4, vocab, temperature[r], topP[r], uniform[r], vector);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        pool.close();
        arena.close();
    }

    // ---- checks -------------------------------------------------------------------------------

    private void open() {
        if (closed) throw new IllegalStateException("cpu backend is closed");
    }

    private static MemorySegment seg(DeviceBuffer b, String what) {
        if (b instanceof CpuBuffer c) return c.segment();
        throw new IllegalArgumentException(what + ": expected a buffer of the cpu backend, got "
                + (b == null ? "null" : b.getClass().getName()));
    }

    /**
     * The fp32 matrix {@code op name [rows x cols]} must fit in {@code b}. Messages are built only on failure,
     * so a hot op's checks allocate nothing.
     */
    private static MemorySegment need(DeviceBuffer b, String op, String name, long rows, long cols, String weight, long bytes) {
        if (b instanceof CpuBuffer c && c.segment().byteSize() >= bytes) return c.segment();
        String what = op + " " + name + " [" + rows + "x" + cols + "]" + (weight == null ? "" : " (weight " + weight + ")");
        MemorySegment s = seg(b, what);
        throw new IllegalArgumentException(what + ": needs " + bytes + " bytes (fp32), buffer has " + s.byteSize());
    }

    private static void range(String op, long offset, long bytes, long size) {
        if (offset < 0 || bytes < 0 || offset + bytes > size) {
            throw new IllegalArgumentException(op + ": range [" + offset + ", " + offset + " + " + bytes
                    + ") is outside a buffer of " + size + " bytes");
        }
    }

    private static void positive(String op, String what, int value) {
        if (value <= 0) throw new IllegalArgumentException(op + ": " + what + " must be > 0, got " + value);
    }

    private static void length(String op, String what, int length, int need) {
        if (length < need) throw new IllegalArgumentException(op + ": " + what + " has " + length + " entries, needs " + need);
    }

    private static void floatWeight(String op, Weight w) {
        if (w.dtype() == DType.I32) throw new IllegalArgumentException(op + ": weight " + w.name() + " is I32, expected F32, F16 or BF16");
    }

    private static void layer(String op, KvGeometry g, int layer) {
        if (layer < 0 || layer >= g.layers()) {
            throw new IllegalArgumentException(op + ": layer " + layer + " is outside the pool's [0, " + g.layers() + ")");
        }
    }

    private static void attentionShape(String op, KvGeometry g, AttentionShape shape, int layer) {
        layer(op, g, layer);
        if (shape.kvHeads() != g.kvHeads() || shape.headDim() != g.headDim()) {
            throw new IllegalArgumentException(op + ": shape has kvHeads=" + shape.kvHeads() + " headDim=" + shape.headDim()
                    + " but the KV pool has kvHeads=" + g.kvHeads() + " headDim=" + g.headDim());
        }
    }

    /** {@code index} names the sequence in messages ({@code blockTables[index]}), -1 for prefill's single table. */
    private static void blockTable(String op, int index, KvGeometry g, int[] table, long tokens) {
        long blocks = (tokens + KvGeometry.BLOCK_SIZE - 1) / KvGeometry.BLOCK_SIZE;
        if (table == null || table.length < blocks) {
            throw new IllegalArgumentException(op + ": " + tableName(index) + " has " + (table == null ? 0 : table.length)
                    + " blocks, " + tokens + " tokens need " + blocks);
        }
        for (int b = 0; b < blocks; b++) {
            if (table[b] < 0 || table[b] >= g.blocks()) {
                throw new IllegalArgumentException(op + ": " + tableName(index) + "[" + b + "] = " + table[b]
                        + " is outside the pool's [0, " + g.blocks() + ") blocks");
            }
        }
    }

    private static String tableName(int index) { return index < 0 ? "blockTable" : "blockTables[" + index + "]"; }

    private static MemorySegment logits(String op, DeviceBuffer logits, int rows, int vocab) {
        positive(op, "rows", rows);
        positive(op, "vocab", vocab);
        return need(logits, op, "logits", rows, vocab, null, (long) rows * vocab * 4);
    }
}
