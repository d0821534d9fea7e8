package org.apexbench.bench;

import org.apexbench.kernels.cpu.CpuMicrobench;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The practical ceiling for the two benchmarks above: a vectorised sum over a buffer larger than the LLC,
 * on the backend's own workers, so kernel GB/s can be read as a fraction of it (same run, same host).
 */
public class StreamBench extends KernelBench {
    @Param({"0"}) public int threads;
    @Param({"268435456"}) public long bytes;

    CpuMicrobench.Stream stream;

    @Setup(Level.Trial)
    public void setUp() { stream = CpuMicrobench.stream(threads, bytes); }

    @TearDown(Level.Trial)
    public void tearDown() { stream.close(); }

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Traffic {
        public long streamBytes;
    }

    @Benchmark
    public float sum(Traffic traffic) {
        traffic.streamBytes += bytes;
        return stream.sum();
    }
}
