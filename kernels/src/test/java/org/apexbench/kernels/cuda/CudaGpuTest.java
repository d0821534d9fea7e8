package org.apexbench.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.stream.Collectors;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.Weight;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Tests that need a real GPU; each skips visibly (with the reason) where there is none. */
class CudaGpuTest {
    private static String unavailable;

    @BeforeAll
    static void probe() { unavailable = CudaTestSupport.gpuUnavailableReason(); }

    private static void assumeGpu() { assumeTrue(unavailable == null, () -> "GPU test skipped: " + unavailable); }

    /** Every op against the cpu backend; tolerances per op are in ParityChecks. */
    @Test
    void everyOpMatchesTheCpuBackend() {
        assumeGpu();
        Backend cpu;
        try {
            cpu = Backends.open("cpu", 0);
        } catch (RuntimeException e) {
            assumeTrue(false, "cpu backend unavailable as reference: " + e.getMessage());
            return;
        }
        try (CudaBackend cuda = CudaBackend.openCuda(0); cpu) {
            List<ParityChecks.Result> results = new ParityChecks(cuda, cpu).runAll();
            String failed = results.stream().filter(r -> !r.passed()).map(Object::toString).collect(Collectors.joining("\n"));
            assertTrue(failed.isEmpty(), "parity failures:\n" + failed);
        }
    }

    @Test
    void argmaxAndSamplingSelfChecks() {
        assumeGpu();
        try (CudaBackend cuda = CudaBackend.openCuda(0)) {
            List<ParityChecks.Result> results = new ParityChecks(cuda, null).runAll();
            assertTrue(results.stream().allMatch(ParityChecks.Result::passed), results.toString());
        }
    }

    @Test
    void graphReplayEqualsDirectExecution() {
        assumeGpu();
        try (CudaBackend cuda = CudaBackend.openCuda(0)) {
            int n = 256;
            float[] wv = new float[n * n], xv = new float[n];
            for (int i = 0; i < wv.length; i++) wv[i] = ((i * 7919) % 13 - 6) / 64f;
            for (int i = 0; i < n; i++) xv[i] = (i % 5 - 2) / 4f;
            Weight w = ParityChecks.weight(cuda, "w", wv, n, n, DType.F16);
            DeviceBuffer x = ParityChecks.act(cuda, xv), direct = ParityChecks.act(cuda, xv), replayed = ParityChecks.act(cuda, xv);
            Runnable step = () -> cuda.gemm(x, w, 1, direct, true);  // y += W x, twice
            step.run();
            step.run();
            try (CudaGraph g = cuda.capture(() -> cuda.gemm(x, w, 1, replayed, true))) {
                g.replay();
                g.replay();
            }
            float[] d = ParityChecks.get(cuda, direct, n), r = ParityChecks.get(cuda, replayed, n);
            assertArrayEquals(d, r);
            assertFalse(java.util.Arrays.equals(d, xv), "the replays must have changed the output");
        }
    }

    /** A stream waiting on a host flag really waits, without blocking the thread that enqueued the wait. */
    @Test
    void streamWaitsForHostFlag() throws InterruptedException {
        assumeGpu();
        try (CudaBackend cuda = CudaBackend.openCuda(0); HostFlag flag = cuda.newHostFlag()) {
            cuda.waitFor(StreamRole.COMPUTE, flag, 1);
            CudaEvent after = cuda.record(StreamRole.COMPUTE);
            Thread.sleep(100);
            assertFalse(cuda.isDone(after), "the stream ran past an unsignalled host flag");
            flag.signal(1);
            cuda.synchronize(after);
            assertTrue(cuda.isDone(after));
            cuda.signalFrom(StreamRole.COMPUTE, flag, 7);
            cuda.synchronize();
            assertTrue(flag.value() == 7, "stream write to the host flag");
        }
    }
}
