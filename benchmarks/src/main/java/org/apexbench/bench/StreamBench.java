package org.apexbench.bench;

import java.util.concurrent.TimeUnit;
import org.apexbench.kernels.cpu.CpuMicrobench;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The practical ceiling for the two benchmarks above: a vectorised sum over a buffer larger than the LLC,
 * on the backend's own workers, so kernel GB/s can be read as a fraction of it (same run, same host).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0"})
@State(Scope.Benchmark)
public class StreamBench {
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
