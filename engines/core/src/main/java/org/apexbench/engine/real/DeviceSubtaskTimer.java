package org.apexbench.engine.real;

import java.util.Arrays;
import java.util.List;

import org.apexbench.engine.model.AttentionSubset;
import org.apexbench.engine.model.ForwardBatch;
import org.apexbench.engine.model.LlamaModel;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.HostBridge;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.kernels.Lane;
import org.apexbench.kernels.Mark;
import org.apexbench.kernels.RowExchange;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.SubtaskTimer;
import org.apexbench.workloads.SamplingParams;

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
public final class DeviceSubtaskTimer implements SubtaskTimer, AutoCloseable {
    private static final int DEVICE_POOL = 0;
    private static final int HOST_POOL = 2;
    private final LlamaModel model;
    private final Backend host;
    private final HostBridge bridge;
    private final int maxTokens;
    private final int maxSequences;
    private final long maxContextTokens;
    private final long maxCopyBytes;
    private final KvPool devicePool;
    private final KvPool hostPool;
    private final ForwardBatch batch;
    private final RowExchange rows;

    /** Limits as {@link CpuSubtaskTimer}'s; {@code host} is the host-attention backend (cpu). */
    public DeviceSubtaskTimer(LlamaModel model, Backend host, int maxTokens, int maxSequences, long maxContextTokens,
                              long maxCopyBytes, DType kvType) {
        if (maxTokens < 1 || maxSequences < 1 || maxSequences > maxTokens || maxContextTokens < 1 || maxCopyBytes < 1) {
            throw new IllegalArgumentException("timer limits: need 1 <= maxSequences <= maxTokens, maxContextTokens >= 1,"
                    + " maxCopyBytes >= 1; got " + maxTokens + ", " + maxSequences + ", " + maxContextTokens + ", " + maxCopyBytes);
        }
        this.model = model;
        this.host = host;
        this.maxTokens = maxTokens;
        this.maxSequences = maxSequences;
        this.maxContextTokens = maxContextTokens;
        this.maxCopyBytes = maxCopyBytes;
        int blocks = (int) Math.max((maxTokens + 15) / 16, (maxContextTokens + 15) / 16 + maxSequences);
        bridge = HostBridge.open(model.backend(), host);
        try {
            devicePool = model.allocatePool(blocks, kvType);
            KvGeometry g = model.config().kvGeometry(blocks, kvType);
            hostPool = bridge.allocateHostPool(g);
            batch = model.newBatch(maxTokens, maxSequences, List.of(devicePool, bridge.deviceView(hostPool), hostPool));
            rows = bridge.rowExchange(maxTokens, model.config().qWidth(), model.config().kvWidth());
        } catch (RuntimeException | Error e) {
            bridge.close();
            throw e;
        }
    }

    @Override
    public double seconds(Op op, SubtaskFeatures f) {
        try {
            return switch (op) {
                case PRE -> { oneSequence(f.rows()); Mark t = start(); model.pre(0, batch); yield since(t); }
                case POST -> { oneSequence(f.rows()); Mark t = start(); model.post(0, batch); yield since(t); }
                case EMBED -> { oneSequence(f.rows()); Mark t = start(); model.embed(batch); yield since(t); }
                case LM_HEAD -> {
                    decodeRows(f.rows(), f.rows(), DEVICE_POOL);
                    int[] out = new int[f.rows()];
                    SamplingParams[] p = new SamplingParams[f.rows()];
                    Arrays.fill(p, SamplingParams.GREEDY);
                    Mark t = start();
                    model.logits(batch);
                    model.sample(batch, p, new int[f.rows()], out);
                    yield since(t);
                }
                case PREFILL_ATTN -> {
                    oneSequence(f.rows());
                    model.embed(batch);
                    model.pre(0, batch);
                    AttentionSubset s = batch.poolSubset(DEVICE_POOL);
                    Mark t = start();
                    model.attention(0, s);
                    yield since(t);
                }
                case GPU_DECODE_ATTN -> {
                    decodeRows(f.requests(), f.contextTokens(), DEVICE_POOL);
                    AttentionSubset s = batch.poolSubset(DEVICE_POOL);
                    Mark t = start();
                    model.attention(0, s);
                    yield since(t);
                }
                case CPU_DECODE_ATTN -> {
                    decodeRows(f.requests(), f.contextTokens(), HOST_POOL);
                    AttentionSubset s = batch.poolSubset(HOST_POOL);
                    long t = System.nanoTime();
                    model.appendKv(host, 0, batch, HOST_POOL, rows.hostKeys(), rows.hostValues());
                    model.attention(host, 0, s, hostPool, rows.hostQueries(), rows.hostOutput());
                    yield (System.nanoTime() - t) / 1e9;
                }
                case QKV_D2H, ATTN_OUT_H2D, SWAP_IN, SWAP_OUT -> copy(op, f.bytes());
                case LAUNCH -> {
                    decodeRows(1, 1, DEVICE_POOL);
                    long t = System.nanoTime();
                    model.pre(0, batch);
                    model.post(0, batch);
                    double s = (System.nanoTime() - t) / 1e9;
                    model.backend().synchronize();
                    yield s;
                }
            };
        } finally {
            bridge.endIteration();
        }
    }

    private Mark start() { return bridge.mark(Lane.COMPUTE); }

    private double since(Mark start) { return bridge.elapsedSeconds(start, bridge.mark(Lane.COMPUTE)); }

    /** {@code bytes} split over K and V, in chunks of at most what one pool buffer holds. */
    private double copy(Op op, long bytes) {
        if (bytes > maxCopyBytes) {
            throw new IllegalArgumentException(op + " of " + bytes + " bytes exceeds the timer's " + maxCopyBytes);
        }
        boolean toHost = op == Op.QKV_D2H || op == Op.SWAP_OUT;
        Lane lane = toHost ? Lane.D2H : Lane.H2D;
        long chunk = Math.min(devicePool.keys().bytes(), hostPool.keys().bytes());
        Mark t = bridge.mark(lane);
        for (long left = (bytes + 1) / 2; left > 0; left -= chunk) {
            long n = Math.min(chunk, left);
            if (toHost) bridge.copyKv(devicePool, 0, hostPool, 0, n, true); else bridge.copyKv(hostPool, 0, devicePool, 0, n, false);
        }
        return bridge.elapsedSeconds(t, bridge.mark(lane));
    }

    /** One sequence of {@code rows} new tokens at position 0 in the device pool. */
    private void oneSequence(int rowCount) {
        if (rowCount < 1 || rowCount > maxTokens) {
            throw new IllegalArgumentException("timer: " + rowCount + " rows outside 1.." + maxTokens);
        }
        batch.clear();
        int[] table = new int[(rowCount + 15) / 16];
        for (int i = 0; i < table.length; i++) table[i] = i;
        batch.add("timed", new int[rowCount], 0, rowCount, 0, table, DEVICE_POOL);
    }

    /** {@code requests} decode rows whose contexts sum to {@code context} (spread evenly), in pool {@code pool}. */
    private void decodeRows(int requests, long context, int pool) {
        if (requests < 1 || requests > maxSequences || context > maxContextTokens) {
            throw new IllegalArgumentException("timer: " + requests + " decode rows over " + context + " context tokens outside 1.."
                    + maxSequences + " rows, " + maxContextTokens + " tokens");
        }
        batch.clear();
        int next = 0;
        for (int i = 0; i < requests; i++) {
            int len = (int) Math.min(model.config().maxPositionEmbeddings(),
                    Math.max(1, context / requests + (i < context % requests ? 1 : 0)));
            int[] table = new int[(len + 15) / 16];
            for (int b = 0; b < table.length; b++) table[b] = next++;
            batch.add("timed " + i, new int[1], 0, 1, len - 1, table, pool);
        }
        model.embed(batch);
        model.project(0, batch);
    }

    @Override
    public void close() {
        bridge.close();
        batch.close();
    }
}
