package org.apexbench.bench;

import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.Weight;
import org.apexbench.kernels.cpu.CpuBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The device role's gemm on the cpu backend (a Llama-3.2-1B MLP weight, {@code [8192][2048]}, at {@code rows} activation
 * rows, one worker thread) alone, and beside the host role of the two-thread runtime as it spends an overlapped or
 * pipelined iteration (docs/validation.md, run 13): yield-polling for a job ({@code polling}: {@code Thread.yield()}
 * back to back, as the host-attention thread waits), or computing CPU decode attention without pause ({@code computing}:
 * 4 requests of 256 tokens, Llama-3.2-1B heads, on its own backend). Compare the scores of {@code gemmAlone}, {@code
 * gemm} (beside the polling) and {@code gemmBesideAttention}: the slowdown of the device's kernels that each host
 * activity causes on this machine.
 */
public class HostRoleBesideGemmBench extends KernelBench {
    @Param({"2", "16"}) public int rows;

    static final int OUT = 8192, K = 2048, REQUESTS = 4, CONTEXT = 256;

    CpuBackend device, host;
    Weight weight;
    DeviceBuffer x, out;
    KvPool pool;
    int[][] tables;
    int[] lens;
    AttentionShape shape;
    DeviceBuffer q, attnOut;

    @Setup(Level.Trial)
    public void setUp() {
        device = new CpuBackend(1);
        host = new CpuBackend(1);
        weight = new Weight("mlp.up_proj", BenchData.random(device, DType.F16, (long) OUT * K, 0.05f, 1), DType.F16, OUT, K);
        x = BenchData.random(device, DType.F32, (long) rows * K, 1f, 2);
        out = device.allocate(4L * rows * OUT);
        shape = AttentionShape.of(32, 8, 64);
        int perRequest = CONTEXT / KvGeometry.BLOCK_SIZE, blocks = REQUESTS * perRequest;
        KvGeometry g = new KvGeometry(1, blocks, shape.kvHeads(), shape.headDim(), DType.F16);
        long elements = g.bufferBytes() / DType.F16.bytes();
        pool = new KvPool(g, BenchData.random(host, DType.F16, elements, 1f, 3), BenchData.random(host, DType.F16, elements, 1f, 4));
        tables = new int[REQUESTS][perRequest];
        lens = new int[REQUESTS];
        for (int r = 0; r < REQUESTS; r++) {
            for (int b = 0; b < perRequest; b++) tables[r][b] = r * perRequest + b;
            lens[r] = CONTEXT;
        }
        q = BenchData.random(host, DType.F32, (long) REQUESTS * shape.qWidth(), 1f, 5);
        attnOut = host.allocate(4L * REQUESTS * shape.qWidth());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        device.close();
        host.close();
    }

    @Benchmark
    @Group("alone")
    public void gemmAlone() { device.gemm(x, weight, rows, out, false); }

    @Benchmark
    @Group("polling")
    @GroupThreads(1)
    public void gemm() { device.gemm(x, weight, rows, out, false); }

    @Benchmark
    @Group("polling")
    @GroupThreads(1)
    public void poll() { Thread.yield(); }

    @Benchmark
    @Group("computing")
    @GroupThreads(1)
    public void gemmBesideAttention() { device.gemm(x, weight, rows, out, false); }

    @Benchmark
    @Group("computing")
    @GroupThreads(1)
    public void attention() { host.decodeAttention(q, pool, 0, tables, lens, REQUESTS, shape, attnOut); }
}
