package org.apexbench.engine.real;

import java.util.List;

import org.apexbench.model.ForwardBatch;
import org.apexbench.model.LlamaModel;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.HostBridge;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.Lane;
import org.apexbench.kernels.Mark;
import org.apexbench.kernels.RowExchange;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;

/**
 * Times the real model's subtasks on the device through {@link HostBridge} marks, so on cuda every GPU
 * subtask is GPU-event time (what the real executor records), over the same grid and with the same shapes as
 * {@link CpuSubtaskTimer}: PRE/POST/EMBED of layer 0 over {@code rows} tokens, LM_HEAD (logits + sampling)
 * over {@code rows} sequences, prefill attention of one prompt, GPU decode attention over the device pool;
 * CPU decode attention (K/V append + attention on the host backend over the host pool, from the fp32 host rows
 * of a {@link RowExchange}) on the wall clock; copies of {@code bytes} between the device and the host pool
 * on the D2H / H2D lanes, in chunks the timer's pools hold (copy time is linear in bytes).
 * LAUNCH is the host's wall time to enqueue one decode layer (pre + post) of one row: on cuda its kernel
 * launches (what NEO's single host thread spends per stage); where the device is the calling thread (cpu)
 * it is the work itself, so cpu profiles use {@link CpuSubtaskTimer}.
 */
public final class DeviceSubtaskTimer extends ModelSubtaskTimer {
    private static final int HOST_POOL = 2;
    private final HostBridge bridge;
    private final KvPool devicePool;
    private final KvPool hostPool;

    /** Limits as {@link CpuSubtaskTimer}'s; {@code host} is the host-attention backend (cpu). */
    public DeviceSubtaskTimer(LlamaModel model, Backend host, int maxTokens, int maxSequences, long maxContextTokens,
                              long maxCopyBytes, DType kvType) {
        Limits limits = new Limits(maxTokens, maxSequences, maxContextTokens, maxCopyBytes);
        HostBridge opened = HostBridge.open(model.backend(), host);
        KvPool deviceKv, hostKv;
        ForwardBatch batch;
        RowExchange rows;
        try {
            deviceKv = model.allocatePool(limits.blocks(), kvType);
            hostKv = opened.allocateHostPool(model.config().kvGeometry(limits.blocks(), kvType));
            batch = model.newBatch(maxTokens, maxSequences, List.of(deviceKv, opened.deviceView(hostKv), hostKv));
            rows = opened.rowExchange(maxTokens, model.config().qWidth(), model.config().kvWidth());
        } catch (RuntimeException | Error e) {
            opened.close();
            throw e;
        }
        bridge = opened;
        devicePool = deviceKv;
        hostPool = hostKv;
        // CPU attention reads the fp32 host rows of a row exchange, as the real executor's host thread does
        super(model, host, limits, batch, new HostAttentionBuffers(HOST_POOL, hostKv, rows.hostQueries(), rows.hostKeys(),
                rows.hostValues(), rows.hostOutput()));
    }

    @Override
    public double seconds(Op op, SubtaskFeatures f) {
        try {
            return super.seconds(op, f);
        } finally {
            bridge.endIteration();
        }
    }

    @Override
    double deviceSeconds(Runnable work) {
        Mark t = bridge.mark(Lane.COMPUTE);
        work.run();
        return bridge.elapsedSeconds(t, bridge.mark(Lane.COMPUTE));
    }

    /** {@code bytes} split over K and V, in chunks of at most what one pool buffer holds. */
    @Override
    double copySeconds(boolean toHost, long bytes) {
        Lane lane = toHost ? Lane.D2H : Lane.H2D;
        long chunk = Math.min(devicePool.keys().bytes(), hostPool.keys().bytes());
        Mark t = bridge.mark(lane);
        for (long left = (bytes + 1) / 2; left > 0; left -= chunk) {
            long n = Math.min(chunk, left);
            if (toHost) bridge.copyKv(devicePool, 0, hostPool, 0, n, true); else bridge.copyKv(hostPool, 0, devicePool, 0, n, false);
        }
        return bridge.elapsedSeconds(t, bridge.mark(lane));
    }

    /** Wall time of enqueueing pre + post of one row; the device is then drained so the next measurement starts idle. */
    @Override
    double launchSeconds() {
        decodeRows(1, 1, DEVICE_POOL);
        long t = System.nanoTime();
        model.pre(0, batch);
        model.post(0, batch);
        double s = wallSecondsSince(t);
        model.backend().synchronize();
        return s;
    }

    @Override
    public void close() {
        bridge.close();
        super.close();
    }
}
