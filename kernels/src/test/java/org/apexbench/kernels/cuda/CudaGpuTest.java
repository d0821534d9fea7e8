package org.apexbench.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.stream.Collectors;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.AttentionShape;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.DeviceMemory;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.Weight;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tests that need a real GPU; each skips visibly (with the reason) where there is none, and fails where cuda is
 * present but does not open for any other reason ({@link CudaTestSupport#gpuUnavailableReason()}).
 */
class CudaGpuTest {
    private static String unavailable;

    @BeforeAll
    static void probe() { unavailable = CudaTestSupport.gpuUnavailableReason(); }

    private static void assumeGpu() { assumeTrue(unavailable == null, () -> "GPU test skipped: " + unavailable); }

    /** The report real runs check their pools against is live: an allocation lowers the free memory it reports. */
    @Test
    void deviceMemoryIsTheDriversLiveReport() {
        assumeGpu();
        DeviceMemory before = Backends.deviceMemory("cuda");
        assertTrue(before.freeBytes() > 0 && before.freeBytes() <= before.totalBytes(), before.toString());
        long bytes = 256L << 20;
        try (CudaBackend cuda = CudaBackend.openCuda(0)) {
            cuda.allocate(bytes);  // freed when the backend closes
            DeviceMemory during = CudaBackend.deviceMemory(0);
            assertTrue(before.freeBytes() - during.freeBytes() >= bytes, before + " then " + during + " with " + bytes + " allocated");
            assertTrue(cuda.describe().contains(during.device()), during.device() + " vs " + cuda.describe());
        }
    }

    /** Every op against the cpu backend; tolerances per op are in ParityChecks. */
    @Test
    void everyOpMatchesTheCpuBackend() {
        assumeGpu();
        // the reference must open: a cpu backend that cannot is a failure here, not a reason to skip
        try (CudaBackend cuda = CudaBackend.openCuda(0); Backend cpu = Backends.open("cpu", 0)) {
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
            assertNull(RuntimeChecks.graphReplay(cuda));
        }
    }

    /** A stream waiting on a host flag really waits, without blocking the thread that enqueued the wait. */
    @Test
    void streamWaitsForHostFlag() throws InterruptedException {
        assumeGpu();
        try (CudaBackend cuda = CudaBackend.openCuda(0)) {
            assertNull(RuntimeChecks.hostFlag(cuda));
        }
    }

    /** Every argument error of the cuda ops names the op and what was wrong. */
    @Test
    void badArgumentsAreRejectedWithTheirReason() {
        assumeGpu();
        try (CudaBackend cuda = CudaBackend.openCuda(0)) {
            Weight w = ParityChecks.weight(cuda, "w", new float[64 * 64], 64, 64, DType.F16);
            DeviceBuffer x = cuda.allocate(64 * 64 * 2);
            var overlap = assertThrows(IllegalArgumentException.class, () -> cuda.gemm(x, w, 1, x.slice(64, 128), false));
            assertTrue(overlap.getMessage().contains("must not overlap"), overlap.getMessage());
            var token = assertThrows(IllegalArgumentException.class, () -> cuda.embedding(w, new int[] {3, 64}, 2, x));
            assertTrue(token.getMessage().contains("token 64 at index 1"), token.getMessage());
            KvGeometry g = new KvGeometry(1, 4, 1, 64, DType.F16);
            KvPool pool = new KvPool(g, cuda.allocate(g.bufferBytes()), cuda.allocate(g.bufferBytes()));
            AttentionShape shape = AttentionShape.of(1, 1, 64);
            var misaligned = assertThrows(IllegalArgumentException.class, () -> cuda.decodeAttention(x.slice(2, 256), pool, 0,
                    new int[][] {{0}}, new int[] {1}, 1, shape, x));
            assertTrue(misaligned.getMessage().contains("16-byte aligned"), misaligned.getMessage());
            KvGeometry bf = new KvGeometry(1, 4, 1, 64, DType.BF16);
            KvPool bfPool = new KvPool(bf, cuda.allocate(bf.bufferBytes()), cuda.allocate(bf.bufferBytes()));
            var dtype = assertThrows(UnsupportedOperationException.class, () -> cuda.kvAppend(bfPool, 0, x, x, 1, new int[] {0}));
            assertTrue(dtype.getMessage().contains("F16"), dtype.getMessage());
            try (Backend cpu = Backends.open("cpu", 1)) {
                DeviceBuffer host = cpu.allocate(64 * 64 * 4);
                var foreign = assertThrows(IllegalArgumentException.class, () -> cuda.rmsnorm(host, w, 1e-5f, 1, x));
                assertTrue(foreign.getMessage().contains("not memory of this cuda backend"), foreign.getMessage());
            }
            var sync = assertThrows(IllegalStateException.class, () -> cuda.capture(() -> cuda.argmax(x, 1, 64, new int[1])));
            assertTrue(sync.getMessage().contains("graph capture"), sync.getMessage());
            cuda.synchronize();  // the failed capture left the stream usable
        }
    }
}
