package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import org.apexbench.kernels.DType;

/**
 * {@code out[rows][n] (+)= x[rows][k] * W[n][k]^T}, fp32 accumulation. Workers take contiguous chunks of
 * {@link #CHUNK} weight rows (output columns) from a shared counter, so each weight byte is streamed from
 * memory once per call and a worker descheduled on a busy host does not hold the call back; within a chunk
 * each weight row is reused by 4 activation rows at a time (register tile 4x1) so prefill is not rows x gemv.
 */
final class Gemm implements WorkerPool.Body {
    /** Below this many multiply-adds the hand-off to other threads costs more than it saves. */
    static final long PARALLEL_MACS = 1L << 17;
    /** Weight rows per work unit: 64 rows of 4096 bf16 = 512 KiB, long enough to stream, short enough to balance. */
    static final int CHUNK = 64;

    private final AtomicInteger nextChunk = new AtomicInteger();

    private final WorkerPool pool;
    private final float[][] tile;      // per worker: 4 dot results
    private final float[][] decodedRow; // per worker: fp16 row decoded

    private MemorySegment x, w, out;
    private DType type;
    private int rows, k, n;
    private boolean accumulate, vector;

    Gemm(WorkerPool pool) {
        this.pool = pool;
        int t = pool.threads();
        tile = new float[t][4 + 16];   // padded: workers write these per weight row, keep them on separate lines
        decodedRow = new float[t][0];
    }

    synchronized void run(MemorySegment x, MemorySegment w, DType type, int rows, int k, int n, MemorySegment out,
                          boolean accumulate, boolean vector) {
        this.x = x; this.w = w; this.type = type; this.out = out;
        this.rows = rows; this.k = k; this.n = n; this.accumulate = accumulate; this.vector = vector;
        if (type == DType.F16 && vector && decodedRow[0].length < k) {
            for (int t = 0; t < decodedRow.length; t++) decodedRow[t] = new float[k + 16];
        }
        nextChunk.set(0);
        try {
            boolean parallel = (long) rows * k * n >= PARALLEL_MACS;
            pool.forRange(parallel ? pool.threads() : 1, parallel, this);
        } finally {
            this.x = this.w = this.out = null;
        }
    }

    @Override
    public void run(int worker, int fromPart, int toPart) {
        // each part is one worker; it takes chunks until none are left
        for (int c = nextChunk.getAndIncrement(); (long) c * CHUNK < n; c = nextChunk.getAndIncrement()) {
            int from = c * CHUNK, to = Math.min(n, from + CHUNK);
            if (vector) fast(worker, from, to); else scalar(from, to);
        }
    }

    /** The reference: one plain dot per (row, column). */
    private void scalar(int from, int to) {
        long wRow = (long) k * type.bytes(), xRow = 4L * k;
        for (int j = from; j < to; j++) {
            for (int r = 0; r < rows; r++) {
                float d = switch (type) {
                    case F32 -> F32Rows.dotScalar(x, r * xRow, w, j * wRow, k);
                    case BF16 -> Bf16Rows.dotScalar(x, r * xRow, w, j * wRow, k);
                    case F16 -> F16Rows.dotScalar(x, r * xRow, w, j * wRow, k);
                    case I32 -> throw new IllegalArgumentException("gemm: I32 weights are not supported");
                };
                store(r, j, d);
            }
        }
    }

    private void fast(int worker, int from, int to) {
        long wRow = (long) k * type.bytes(), xRow = 4L * k;
        float[] t4 = tile[worker];
        for (int j = from; j < to; j++) {
            long wo = j * wRow;
            float[] dec = null;
            if (type == DType.F16) {
                dec = decodedRow[worker];
                Elements.decodeF16(w, wo, k, dec);
            }
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                switch (type) {
                    case F32 -> F32Rows.dot4(x, r * xRow, xRow, w, wo, k, t4);
                    case BF16 -> Bf16Rows.dot4(x, r * xRow, xRow, w, wo, k, t4);
                    default -> F16Rows.dot4(x, r * xRow, xRow, dec, k, t4);
                }
                for (int q = 0; q < 4; q++) store(r + q, j, t4[q]);
            }
            for (; r < rows; r++) {
                float d = switch (type) {
                    case F32 -> F32Rows.dot(x, r * xRow, w, wo, k);
                    case BF16 -> Bf16Rows.dot(x, r * xRow, w, wo, k);
                    default -> F16Rows.dot(x, r * xRow, dec, k);
                };
                store(r, j, d);
            }
        }
    }

    private void store(int r, int j, float d) {
        long o = ((long) r * n + j) * 4;
        out.set(Elements.F32, o, accumulate ? out.get(Elements.F32, o) + d : d);
    }
}
