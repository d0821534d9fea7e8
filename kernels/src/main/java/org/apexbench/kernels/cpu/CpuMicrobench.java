package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.Random;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.Weight;

/**
 * Quick bandwidth checks of the two memory-bound CPU kernels, each against a plain vectorised streaming
 * read of the very buffers the kernel reads (the KV pool; the weights), in the same process with the same
 * threads: the practical ceiling for those bytes.
 * Both sides: warm-up, then the best of {@link #REPS} repetitions taken alternately. One output line each:
 * <pre>
 *   attention_gbps=X stream_gbps=Y ratio=X/Y   (X = K/V bytes read per second by paged decode attention)
 *   gemv_gbps=X stream_gbps=Y ratio=X/Y        (X = weight bytes read per second by a batch-1 gemm)
 * </pre>
 * Speed is never asserted in tests; the JMH module measures it properly (benchmarks/).
 */
public final class CpuMicrobench {
    private CpuMicrobench() {}

    static final int WARMUP = 3, REPS = 15;

    /** Decode attention: 16 requests x 4096 context, 32 query heads, 8 KV heads, head dim 128, fp16 KV. */
    public static String attention(int threads) {
        int requests = 16, context = 4096, heads = 32, kvHeads = 8, headDim = 128;
        int blocksPerRequest = context / KvGeometry.BLOCK_SIZE, blocks = requests * blocksPerRequest;
        try (CpuBackend backend = new CpuBackend(threads)) {
            KvGeometry g = new KvGeometry(1, blocks, kvHeads, headDim, DType.F16);
            KvPool pool = new KvPool(g, backend.allocate(g.bufferBytes()), backend.allocate(g.bufferBytes()));
            Random rnd = new Random(1);
            fillF16(((CpuBuffer) pool.keys()).segment(), rnd);
            fillF16(((CpuBuffer) pool.values()).segment(), rnd);
            // block tables: a random permutation of the pool, as after many allocations and frees
            int[] perm = new int[blocks];
            for (int i = 0; i < blocks; i++) perm[i] = i;
            for (int i = blocks - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1), t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
            int[][] tables = new int[requests][blocksPerRequest];
            int[] lens = new int[requests];
            for (int r = 0; r < requests; r++) {
                System.arraycopy(perm, r * blocksPerRequest, tables[r], 0, blocksPerRequest);
                lens[r] = context;
            }
            AttentionShape shape = AttentionShape.of(heads, kvHeads, headDim);
            DeviceBuffer q = backend.allocate(4L * requests * shape.qWidth()), out = backend.allocate(4L * requests * shape.qWidth());
            fillF32(((CpuBuffer) q).segment(), rnd);
            long bytes = 2 * g.bufferBytes();
            try (Stream stream = streamOf(threads, ((CpuBuffer) pool.keys()).segment(), ((CpuBuffer) pool.values()).segment())) {
                double[] best = bestInterleaved(() -> backend.decodeAttention(q, pool, 0, tables, lens, requests, shape, out),
                        stream::sum);
                return line("attention_gbps", bytes / best[0], bytes / best[1]);
            }
        }
    }

    /** Batch-1 gemm (gemv) over bf16 weights of shape [11008][4096] (out = 11008, k = 4096). */
    public static String gemv(int threads) {
        int n = 11008, k = 4096;
        try (CpuBackend backend = new CpuBackend(threads)) {
            Random rnd = new Random(2);
            DeviceBuffer wb = backend.allocate((long) n * k * 2);
            MemorySegment ws = ((CpuBuffer) wb).segment();
            for (long i = 0; i < (long) n * k; i++) ws.setAtIndex(Elements.S16, i, Elements.floatToBf16(rnd.nextFloat() - 0.5f));
            Weight w = new Weight("mlp.up_proj", wb, DType.BF16, n, k);
            DeviceBuffer x = backend.allocate(4L * k), out = backend.allocate(4L * n);
            fillF32(((CpuBuffer) x).segment(), rnd);
            long bytes = w.bytes();
            try (Stream stream = streamOf(threads, ws)) {
                double[] best = bestInterleaved(() -> backend.gemm(x, w, 1, out, false), stream::sum);
                return line("gemv_gbps", bytes / best[0], bytes / best[1]);
            }
        }
    }

    public static void main(String[] args) {
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 0;
        String which = args.length > 0 ? args[0] : "all";
        if (which.equals("attention") || which.equals("all")) System.out.println(attention(threads));
        if (which.equals("gemv") || which.equals("all")) System.out.println(gemv(threads));
    }

    private static String line(String name, double bytesPerSecond, double streamBytesPerSecond) {
        return String.format(Locale.ROOT, "%s=%.2f stream_gbps=%.2f ratio=%.3f", name, bytesPerSecond / 1e9,
                streamBytesPerSecond / 1e9, bytesPerSecond / streamBytesPerSecond);
    }

    /**
     * Best (shortest) seconds of {@code kernel} and of {@code stream}, measured alternately so both see the
     * same background load (this host is shared), after {@link #WARMUP} untimed rounds.
     */
    private static double[] bestInterleaved(Runnable kernel, Runnable stream) {
        for (int i = 0; i < WARMUP; i++) {
            kernel.run();
            stream.run();
        }
        System.gc();   // settle the heap so no collection lands inside a timed repetition
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
        for (int i = 0; i < REPS; i++) {
            best[0] = Math.min(best[0], seconds(kernel));
            best[1] = Math.min(best[1], seconds(stream));
        }
        return best;
    }

    private static double seconds(Runnable op) {
        long t0 = System.nanoTime();
        op.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    /** A buffer of {@code bytes} (random floats) and a backend's workers to stream-read it; also used by JMH. */
    public static Stream stream(int threads, long bytes) {
        CpuBackend backend = new CpuBackend(threads);
        MemorySegment s = ((CpuBuffer) backend.allocate(bytes)).segment();
        fillF32(s, new Random(3));
        return new Stream(backend, s);
    }

    /**
     * A streaming read of the kernel's own buffers. Measured on this VM: two buffers of the same size in one
     * process can stream at rates 1.5x apart (~45 vs ~70 GB/s; the hypervisor backs guest pages unevenly), so a
     * reference over other memory measures the placement, not the kernel. Reading the very bytes the kernel
     * reads leaves only the kernel's own overhead in the ratio.
     */
    static Stream streamOf(int threads, MemorySegment... buffers) {
        return new Stream(new CpuBackend(threads), buffers);
    }

    /**
     * The streaming-read ceiling: each worker sums a contiguous 1/T of each buffer with 4 vector accumulators.
     * Integer adds: the buffers hold fp16/bf16 bit patterns, and float adds of arbitrary bits could hit
     * denormal assists that a plain read never pays.
     */
    public static final class Stream implements WorkerPool.Body, AutoCloseable {
        private final CpuBackend backend;
        private final MemorySegment[] buffers;
        private final int[] partial;   // one padded slot per worker (no false sharing)
        private final int parts;
        private MemorySegment s;

        Stream(CpuBackend backend, MemorySegment... buffers) {
            this.backend = backend;
            this.buffers = buffers;
            this.parts = backend.threads();
            this.partial = new int[parts * 16];
        }

        /** Bytes read by one {@link #sum()}. */
        public long bytes() {
            long b = 0;
            for (MemorySegment m : buffers) b += m.byteSize();
            return b;
        }

        /** Reads every buffer once; returns the sum so the work cannot be optimised away. */
        public float sum() {
            long total = 0;
            for (MemorySegment m : buffers) {
                s = m;
                backend.pool().forRange(parts, true, this);
                for (int p = 0; p < parts; p++) total += partial[p * 16];
            }
            s = null;
            return total;
        }

        @Override
        public void run(int worker, int from, int to) {
            int step = Simd.I.vectorByteSize();
            long usable = s.byteSize() - s.byteSize() % (4L * step * parts), chunk = usable / parts;
            for (int p = from; p < to; p++) {
                IntVector a0 = IntVector.zero(Simd.I), a1 = a0, a2 = a0, a3 = a0;
                for (long o = p * chunk, end = o + chunk; o < end; o += 4L * step) {
                    a0 = a0.add(IntVector.fromMemorySegment(Simd.I, s, o, Simd.LE));
                    a1 = a1.add(IntVector.fromMemorySegment(Simd.I, s, o + step, Simd.LE));
                    a2 = a2.add(IntVector.fromMemorySegment(Simd.I, s, o + 2L * step, Simd.LE));
                    a3 = a3.add(IntVector.fromMemorySegment(Simd.I, s, o + 3L * step, Simd.LE));
                }
                partial[p * 16] = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
            }
        }

        @Override
        public void close() { backend.close(); }
    }

    private static void fillF16(MemorySegment s, Random rnd) {
        short[] chunk = new short[1 << 16];
        for (int i = 0; i < chunk.length; i++) chunk[i] = Float.floatToFloat16(rnd.nextFloat() * 2 - 1);
        for (long off = 0; off < s.byteSize(); off += 2L * chunk.length) {
            int n = (int) Math.min(chunk.length, (s.byteSize() - off) / 2);
            MemorySegment.copy(chunk, rnd.nextInt(8), s, Elements.S16, off, Math.min(n, chunk.length - 8));
        }
    }

    private static void fillF32(MemorySegment s, Random rnd) {
        for (long i = 0; i < s.byteSize() / 4; i++) s.setAtIndex(Elements.F32, i, rnd.nextFloat() - 0.5f);
    }
}
