package org.apexbench.bench;

import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.Weight;
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
 * gemm of the CPU backend at {@code rows} activation rows against a Llama-2-7B MLP weight
 * ({@code [11008][4096]}: out = 11008, k = 4096). Rows = 1 is the decode gemv (memory bound: compare the
 * {@code weightBytes} rate with {@link StreamBench}); larger rows show the register-tiled prefill path.
 */
public class GemvBench extends KernelBench {
    @Param({"0"}) public int threads;
    @Param({"1"}) public int rows;
    @Param({"BF16", "F16", "F32"}) public String weightType;

    static final int OUT = 11008, K = 4096;

    CpuBackend backend;
    Weight weight;
    DeviceBuffer x, out;

    @Setup(Level.Trial)
    public void setUp() {
        backend = new CpuBackend(threads);
        DType type = DType.valueOf(weightType);
        weight = new Weight("mlp.up_proj", BenchData.random(backend, type, (long) OUT * K, 0.05f, 1), type, OUT, K);
        x = BenchData.random(backend, DType.F32, (long) rows * K, 1f, 2);
        out = backend.allocate(4L * rows * OUT);
    }

    @TearDown(Level.Trial)
    public void tearDown() { backend.close(); }

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Traffic {
        public long weightBytes;
    }

    @Benchmark
    public void gemm(Traffic traffic) {
        backend.gemm(x, weight, rows, out, false);
        traffic.weightBytes += weight.bytes();
    }
}
