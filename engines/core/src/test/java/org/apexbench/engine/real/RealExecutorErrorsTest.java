package org.apexbench.engine.real;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.kernels.DType;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.profiler.table.Profile;
import org.apexbench.profiler.table.ProfileFingerprint;
import org.apexbench.profiler.table.ProfileSweep;
import org.apexbench.profiler.table.SweepGrid;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/** Error paths of the real executor and its entry point. */
class RealExecutorErrorsTest {
    @Test
    void blockSizeOtherThanTheKernelsIsRefused() {
        try (TinyLlamaOnCpu m = TinyLlamaOnCpu.open()) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> new RealExecutor(m.model(), m.host(), new EngineBudgets(4, 64, 8, 8, 32), DType.F32));
            assertTrue(e.getMessage().contains("16-token KV blocks") && e.getMessage().contains("32"), e.getMessage());
        }
    }

    @Test
    void aFailureOnTheHostThreadFailsTheDeviceThreadsWait() {
        try (HostAttentionThread host = new HostAttentionThread("test-host")) {
            host.submit(0, () -> { throw new ArithmeticException("boom"); });
            var e = assertThrows(IllegalStateException.class, () -> host.await(0));
            assertTrue(e.getMessage().contains("host-attention thread failed") && e.getMessage().contains("boom"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> host.submit(1, () -> { }));
        }
    }

    /** A host job that never finishes fails the device thread's wait after the limit instead of hanging the run. */
    @Test
    void aStuckHostThreadFailsTheWaitInsteadOfHanging() {
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        try (HostAttentionThread host = new HostAttentionThread("test-host", 1)) {
            host.submit(0, () -> {
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long t0 = System.nanoTime();
            var e = assertThrows(IllegalStateException.class, () -> host.await(0));
            assertTrue(e.getMessage().contains("no CPU-attention output of sub-batch 0 in 1 s") && e.getMessage().contains("stuck"),
                    e.getMessage());
            assertTrue(System.nanoTime() - t0 < 30_000_000_000L, "failed within the limit, not at the end of time");
            never.countDown();   // let the host thread stop before close() joins it
        }
    }

    @Test
    void aProfileOfAnotherSetupIsRefused() {
        Path dir = TinyLlamaOnCpu.fixture();
        SweepGrid grid = new SweepGrid(List.of(1, 4), List.of(1, 2), List.of(16, 32), List.of(1, 2), List.of(16L, 32L),
                List.of(1, 2), List.of(16L, 32L), List.of(1024L, 2048L), 0, 1);
        ProfileFingerprint other = new ProfileFingerprint("another machine", "cpu", "n/a", "other cpu", 1, org.apexbench.model.ModelPresets.geometry("tiny-llama3"),
                "f32", "f32", 16, "cpu");
        Profile profile = ProfileSweep.sweep((op, f) -> 1e-6, grid, other, "constant");
        Engine engine = new Engine("test", "test engine", () -> null, 0);
        List<RequestSpec> requests = List.of(new RequestSpec("a", 0, new int[] {1, 2, 3}, 2, SamplingParams.GREEDY));
        var e = assertThrows(RuntimeException.class, () -> RealRun.run(engine, "cpu", 1, RealRun.checkpoint(dir), DType.F32,
                new EngineBudgets(4, 64, 8, 8, 16), profile, requests, RecordOptions.DEFAULT, DType.F32));
        assertTrue(e.getMessage().contains("another machine"), e.getMessage());
    }
}
