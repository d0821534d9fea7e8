package org.apexbench.kernels.cuda;

import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicReference;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.Fence;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.OutputWait;
import org.apexbench.kernels.RowExchange;
import org.apexbench.kernels.RowTransfer;
import org.apexbench.kernels.cpu.CpuBackend;
import org.apexbench.kernels.cpu.CpuBuffer;

/**
 * GPU checks of {@link CudaHostBridge}, the hybrid runtime's device/host plumbing, apart from any engine (run
 * by {@link RuntimeChecks#runAll}, so by CudaGpuTest and the Maven-less GpuCheck): a row exchange moves rows
 * 1..2 to a second thread as fp32 and their doubled values back, while compute waits on the GPU for them and
 * the enqueueing thread does not; swaps through the pinned host pool round-trip K and V.
 */
final class BridgeChecks {
    private BridgeChecks() {}

    private static float[] ramp(int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (i % 11 - 5) * scale;
        return v;
    }

    /** null = pass; else why it failed. */
    static String rowExchange(CudaBackend cuda) throws InterruptedException {
        int rows = 4, qw = 8, kvw = 4;
        try (CpuBackend host = new CpuBackend(1); CudaHostBridge bridge = (CudaHostBridge) CudaHostBridge.create(cuda, host)) {
            RowExchange x = bridge.rowExchange(rows, qw, kvw);
            float[] qv = ramp(rows * qw, 0.25f), kv = ramp(rows * kvw, 0.5f), vv = ramp(rows * kvw, 0.125f);
            DeviceBuffer q = ParityChecks.act(cuda, qv), k = ParityChecks.act(cuda, kv), v = ParityChecks.act(cuda, vv);
            DeviceBuffer out = cuda.allocate(2L * rows * qw);
            cuda.synchronize();  // allocate zeroes on the compute stream; the H2D copy must land after that
            RowTransfer t = x.sendInputs(q, k, v, 1, 2);
            OutputWait w = x.awaitOutputOnDevice(t, out);
            CudaEvent after = cuda.record(StreamRole.COMPUTE);
            AtomicReference<String> hostFailure = new AtomicReference<>();
            Thread hostThread = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(50);
                    x.receiveInputs(t, q, k, v);
                    var hq = ((CpuBuffer) x.hostQueries()).segment();
                    var hk = ((CpuBuffer) x.hostKeys()).segment();
                    var ho = ((CpuBuffer) x.hostOutput()).segment();
                    for (int i = qw; i < 3 * qw; i++) {
                        float got = hq.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
                        if (got != qv[i]) hostFailure.compareAndSet(null, "host q[" + i + "] = " + got + ", sent " + qv[i]);
                        ho.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, 2 * got);
                    }
                    if (hq.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, 0) != 0) hostFailure.compareAndSet(null, "row 0 was sent");
                    if (hk.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, kvw) != kv[kvw]) hostFailure.compareAndSet(null, "host k row 1 wrong");
                    x.sendOutput(t, out);
                } catch (RuntimeException | InterruptedException e) {
                    hostFailure.compareAndSet(null, "host thread threw " + e);
                    x.abort();
                }
            });
            Thread.sleep(20);
            boolean ranAhead = cuda.isDone(after);
            hostThread.join();
            cuda.synchronize(after);
            cuda.release(after);
            if (hostFailure.get() != null) return hostFailure.get();
            if (ranAhead) return "compute ran past a host output that was not signalled yet";
            float[] o = ParityChecks.get(cuda, out, rows * qw);
            for (int i = 0; i < rows * qw; i++) {
                float want = i >= qw && i < 3 * qw ? 2 * qv[i] : 0;
                if (o[i] != want) return "device output[" + i + "] = " + o[i] + ", expected " + want;
            }
            double stall = bridge.elapsedSeconds(w.stallStart(), w.stallEnd());
            if (!(stall > 0.02)) return "GPU stall for the late host output measured " + stall + " s, expected > 0.02";
            bridge.endIteration();
            return null;
        }
    }

    /** Swap-out then swap-in of one block run through the pinned host pool: K and V come back unchanged. */
    static String swapRoundTrip(CudaBackend cuda) {
        try (CpuBackend host = new CpuBackend(1); CudaHostBridge bridge = (CudaHostBridge) CudaHostBridge.create(cuda, host)) {
            KvGeometry g = new KvGeometry(2, 4, 2, 8, DType.F16);
            int n = (int) (g.bufferBytes() / 2);
            KvPool gpu = new KvPool(g, ParityChecks.act(cuda, ramp(n, 0.5f)), ParityChecks.act(cuda, ramp(n, 0.25f)));
            KvPool back = new KvPool(g, cuda.allocate(g.bufferBytes()), cuda.allocate(g.bufferBytes()));
            KvPool pinned = bridge.allocateHostPool(g);
            cuda.synchronize();  // allocate zeroes on the compute stream; the H2D copies must land after that
            long run = 2 * g.blockBytes(), at = g.offset(1, 1, 0, 0);
            bridge.copyKv(gpu, at, pinned, at, run, true);
            Fence out = bridge.fenceCopies();
            out.awaitOnHost();
            bridge.copyKv(pinned, at, back, at, run, false);
            bridge.fenceCopies();
            float[] k = ParityChecks.get(cuda, back.keys(), n), v = ParityChecks.get(cuda, back.values(), n);
            float[] k0 = ramp(n, 0.5f), v0 = ramp(n, 0.25f);
            for (int i = 0; i < n; i++) {
                boolean inRun = i >= at / 2 && i < (at + run) / 2;
                if (k[i] != (inRun ? k0[i] : 0) || v[i] != (inRun ? v0[i] : 0)) {
                    return "element " + i + (inRun ? " of the swapped run" : " outside it") + ": K " + k[i] + ", V " + v[i];
                }
            }
            bridge.endIteration();
            return null;
        }
    }
}
