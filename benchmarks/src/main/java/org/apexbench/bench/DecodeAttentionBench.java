package org.apexbench.bench;

import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.cpu.CpuBackend;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Paged decode attention of the CPU backend (the kernel hybrid engines run on host-resident KV): a batch of
 * {@code requests} sequences of {@code context} tokens, Llama-3-8B heads (32 query, 8 KV, head dim 128),
 * block tables a random permutation of a pool holding exactly the needed blocks. The {@code kvBytes}
 * counter is K+V bytes read per second: divide by 1e9 for GB/s and compare with {@link StreamBench}.
 */
public class DecodeAttentionBench extends KernelBench {
    @Param({"0"}) public int threads;
    @Param({"16"}) public int requests;
    @Param({"1024", "4096"}) public int context;
    @Param({"F16", "BF16"}) public String kvType;

    CpuBackend backend;
    KvPool pool;
    int[][] tables;
    int[] lens;
    AttentionShape shape;
    DeviceBuffer q, out;
    long bytesPerCall;

    @Setup(Level.Trial)
    public void setUp() {
        backend = new CpuBackend(threads);
        shape = AttentionShape.of(32, 8, 128);
        int perRequest = (context + KvGeometry.BLOCK_SIZE - 1) / KvGeometry.BLOCK_SIZE, blocks = requests * perRequest;
        DType type = DType.valueOf(kvType);
        KvGeometry g = new KvGeometry(1, blocks, shape.kvHeads(), shape.headDim(), type);
        long elements = g.bufferBytes() / type.bytes();
        pool = new KvPool(g, BenchData.random(backend, type, elements, 1f, 1), BenchData.random(backend, type, elements, 1f, 2));
        int[] perm = new int[blocks];
        java.util.Random rnd = new java.util.Random(3);
        for (int i = 0; i < blocks; i++) perm[i] = i;
        for (int i = blocks - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        tables = new int[requests][perRequest];
        lens = new int[requests];
        for (int r = 0; r < requests; r++) {
            System.arraycopy(perm, r * perRequest, tables[r], 0, perRequest);
            lens[r] = context;
        }
        q = BenchData.random(backend, DType.F32, (long) requests * shape.qWidth(), 1f, 4);
        out = backend.allocate(4L * requests * shape.qWidth());
        bytesPerCall = 2L * requests * context * shape.kvWidth() * type.bytes();
    }

    @TearDown(Level.Trial)
    public void tearDown() { backend.close(); }

    /** Bytes of K and V read, reported by JMH as a rate (bytes/s). */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Traffic {
        public long kvBytes;
    }

    @Benchmark
    public void decode(Traffic traffic) {
        backend.decodeAttention(q, pool, 0, tables, lens, requests, shape, out);
        traffic.kvBytes += bytesPerCall;
    }
}
