package org.apexbench.kernels.cuda;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.Weight;

/**
 * Checks of the cuda runtime machinery beyond the ops (used by CudaGpuTest and by {@link GpuCheck},
 * which runs where there is no Maven): a graph replay computes what direct enqueueing computes, and a
 * stream held by a {@link HostFlag} really waits until the host signals, without blocking the caller.
 */
final class RuntimeChecks {
    private RuntimeChecks() {}

    static List<ParityChecks.Result> runAll(CudaBackend cuda) {
        List<ParityChecks.Result> out = new ArrayList<>();
        out.add(guard("graph_replay", () -> graphReplay(cuda)));
        out.add(guard("host_flag", () -> hostFlag(cuda)));
        out.add(guard("bridge_row_exchange", () -> BridgeChecks.rowExchange(cuda)));
        out.add(guard("bridge_swap_round_trip", () -> BridgeChecks.swapRoundTrip(cuda)));
        return out;
    }

    private interface Check { String run() throws Exception; }

    /** null from the check = pass; a string = why it failed. */
    private static ParityChecks.Result guard(String op, Check check) {
        try {
            String failure = check.run();
            return new ParityChecks.Result(op, failure == null ? "as expected" : failure, failure == null ? 0 : 2, 0, failure == null);
        } catch (Exception e) {
            return new ParityChecks.Result(op, "threw " + e, Double.POSITIVE_INFINITY, Double.NaN, false);
        }
    }

    /** y += W x twice, enqueued directly and replayed from a captured graph: bit-identical. */
    static String graphReplay(CudaBackend cuda) {
        int n = 256;
        float[] wv = new float[n * n], xv = new float[n];
        for (int i = 0; i < wv.length; i++) wv[i] = ((i * 7919) % 13 - 6) / 64f;
        for (int i = 0; i < n; i++) xv[i] = (i % 5 - 2) / 4f;
        Weight w = ParityChecks.weight(cuda, "w", wv, n, n, DType.F16);
        DeviceBuffer x = ParityChecks.act(cuda, xv), direct = ParityChecks.act(cuda, xv), replayed = ParityChecks.act(cuda, xv);
        cuda.gemm(x, w, 1, direct, true);
        cuda.gemm(x, w, 1, direct, true);
        try (CudaGraph g = cuda.capture(() -> cuda.gemm(x, w, 1, replayed, true))) {
            g.replay();
            g.replay();
        }
        float[] d = ParityChecks.get(cuda, direct, n), r = ParityChecks.get(cuda, replayed, n);
        if (Arrays.equals(d, xv)) return "the direct steps did not change the output";
        return Arrays.equals(d, r) ? null : "replayed output differs from direct execution";
    }

    /** The stream must not pass an unsignalled flag; after signal(1) it must; a stream write reaches the host. */
    static String hostFlag(CudaBackend cuda) throws InterruptedException {
        try (HostFlag flag = cuda.newHostFlag()) {
            cuda.waitFor(StreamRole.COMPUTE, flag, 1);  // returns at once: the caller is not blocked
            CudaEvent after = cuda.record(StreamRole.COMPUTE);
            Thread.sleep(100);
            if (cuda.isDone(after)) return "the stream ran past an unsignalled host flag";
            flag.signal(1);
            cuda.synchronize(after);
            cuda.release(after);
            cuda.signalFrom(StreamRole.COMPUTE, flag, 7);
            cuda.synchronize();
            return flag.value() == 7 ? null : "stream write to the host flag not seen (value " + flag.value() + ")";
        }
    }
}
