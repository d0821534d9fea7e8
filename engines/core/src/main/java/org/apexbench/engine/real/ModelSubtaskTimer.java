package org.apexbench.engine.real;

import java.util.Arrays;

import org.apexbench.model.AttentionSubset;
import org.apexbench.model.ForwardBatch;
import org.apexbench.model.LlamaModel;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.KvPool;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.SubtaskTimer;
import org.apexbench.workloads.SamplingParams;

/**
 * What the two real-model subtask timers share, so that cpu and cuda profiles time the same shapes: the
 * limits they accept, the batches they build (one prompt at position 0; decode rows sharing a context evenly)
 * the device subtasks (PRE/POST/EMBED of layer 0, LM_HEAD, prefill and GPU decode attention) and CPU decode
 * attention (K/V append + attention on the host backend, on the wall clock, as the real executor's host thread
 * runs it). A subclass says how device time is read ({@link #deviceSeconds}), where CPU attention's rows live
 * ({@link HostAttentionBuffers}) and times what differs between backends: copies and launches.
 */
abstract sealed class ModelSubtaskTimer implements SubtaskTimer, AutoCloseable permits CpuSubtaskTimer, DeviceSubtaskTimer {
    /** Index of the device KV pool in every timer's batch. */
    static final int DEVICE_POOL = 0;
    final LlamaModel model;
    final Backend host;
    final Limits limits;
    final ForwardBatch batch;
    private final HostAttentionBuffers hostAttention;

    /**
     * What a timer is sized for; checked before anything is allocated.
     *
     * @param maxTokens        widest linear subtask / longest prompt to time
     * @param maxSequences     most decode rows / LM-head rows to time
     * @param maxContextTokens most total decode context to time
     * @param maxCopyBytes     biggest copy to time
     */
    record Limits(int maxTokens, int maxSequences, long maxContextTokens, long maxCopyBytes) {
        Limits {
            if (maxTokens < 1 || maxSequences < 1 || maxSequences > maxTokens || maxContextTokens < 1 || maxCopyBytes < 1) {
                throw new IllegalArgumentException("timer limits: need 1 <= maxSequences <= maxTokens, maxContextTokens >= 1,"
                        + " maxCopyBytes >= 1; got " + maxTokens + ", " + maxSequences + ", " + maxContextTokens + ", " + maxCopyBytes);
            }
        }

        /** 16-token blocks a pool needs for the longest prompt, or for the whole decode context plus a partial block per row. */
        int blocks() {
            return (int) Math.max((maxTokens + 15) / 16, (maxContextTokens + 15) / 16 + maxSequences);
        }
    }

    /**
     * Where CPU attention reads and writes: the host KV pool (index {@code pool} in the batch) and the host rows
     * of q, new k/v and the output (the batch's own on cpu; a row exchange's host side on cuda).
     */
    record HostAttentionBuffers(int pool, KvPool kv, DeviceBuffer queries, DeviceBuffer keys, DeviceBuffer values,
                                DeviceBuffer output) {}

    ModelSubtaskTimer(LlamaModel model, Backend host, Limits limits, ForwardBatch batch, HostAttentionBuffers hostAttention) {
        this.model = model;
        this.host = host;
        this.limits = limits;
        this.batch = batch;
        this.hostAttention = hostAttention;
    }

    @Override
    public double seconds(Op op, SubtaskFeatures f) {
        return switch (op) {
            case PRE -> { oneSequence(f.rows()); yield deviceSeconds(() -> model.pre(0, batch)); }
            case POST -> { oneSequence(f.rows()); yield deviceSeconds(() -> model.post(0, batch)); }
            case EMBED -> { oneSequence(f.rows()); yield deviceSeconds(() -> model.embed(batch)); }
            case LM_HEAD -> {
                decodeRows(f.rows(), f.rows(), DEVICE_POOL);
                int[] out = new int[f.rows()];
                SamplingParams[] p = new SamplingParams[f.rows()];
                Arrays.fill(p, SamplingParams.GREEDY);
                yield deviceSeconds(() -> {
                    model.logits(batch);
                    model.sample(batch, p, new int[f.rows()], out);
                });
            }
            case PREFILL_ATTN -> {
                oneSequence(f.rows());
                model.embed(batch);
                model.pre(0, batch);
                AttentionSubset s = batch.poolSubset(DEVICE_POOL);
                yield deviceSeconds(() -> model.attention(0, s));
            }
            case GPU_DECODE_ATTN -> {
                decodeRows(f.requests(), f.contextTokens(), DEVICE_POOL);
                AttentionSubset s = batch.poolSubset(DEVICE_POOL);
                yield deviceSeconds(() -> model.attention(0, s));
            }
            case CPU_DECODE_ATTN -> {
                HostAttentionBuffers h = hostAttention;
                decodeRows(f.requests(), f.contextTokens(), h.pool());
                AttentionSubset s = batch.poolSubset(h.pool());
                long t = System.nanoTime();
                model.appendKv(host, 0, batch, h.pool(), h.keys(), h.values());
                model.attention(host, 0, s, h.kv(), h.queries(), h.output());
                yield wallSecondsSince(t);
            }
            case QKV_D2H, ATTN_OUT_H2D, SWAP_IN, SWAP_OUT -> {
                if (f.bytes() > limits.maxCopyBytes()) {
                    throw new IllegalArgumentException(op + " of " + f.bytes() + " bytes exceeds the timer's " + limits.maxCopyBytes());
                }
                yield copySeconds(op == Op.QKV_D2H || op == Op.SWAP_OUT, f.bytes());
            }
            case LAUNCH -> launchSeconds();
        };
    }

    /**
     * POST of layer 0 over one sequence of {@code rows} tokens as a job that touches only the device backend, set up
     * once (for {@link RuntimeSweep}, which runs it beside host work).
     */
    final Runnable postJob(int rows) {
        oneSequence(rows);
        return () -> model.post(0, batch);
    }

    /**
     * CPU decode attention (K/V append + attention) of {@code requests} rows over {@code context} tokens as a job that
     * touches only the host backend, set up once (the setup's projections run on the device backend, here).
     */
    final Runnable cpuAttentionJob(int requests, long context) {
        HostAttentionBuffers h = hostAttention;
        decodeRows(requests, context, h.pool());
        AttentionSubset s = batch.poolSubset(h.pool());
        return () -> {
            model.appendKv(host, 0, batch, h.pool(), h.keys(), h.values());
            model.attention(host, 0, s, h.kv(), h.queries(), h.output());
        };
    }

    /** Device time of {@code work}, enqueued on the device backend. */
    abstract double deviceSeconds(Runnable work);

    /** A copy of {@code bytes} (at most the limit) between device and host memory. */
    abstract double copySeconds(boolean toHost, long bytes);

    /** Host time to enqueue one decode layer of one row. */
    abstract double launchSeconds();

    static double wallSecondsSince(long startNanos) { return (System.nanoTime() - startNanos) / 1e9; }

    /** One sequence of {@code rowCount} new tokens at position 0 in the device pool. */
    final void oneSequence(int rowCount) {
        if (rowCount < 1 || rowCount > limits.maxTokens()) {
            throw new IllegalArgumentException("timer: " + rowCount + " rows outside 1.." + limits.maxTokens());
        }
        batch.clear();
        int[] table = new int[(rowCount + 15) / 16];
        for (int i = 0; i < table.length; i++) table[i] = i;
        batch.add("timed", new int[rowCount], 0, rowCount, 0, table, DEVICE_POOL);
    }

    /** {@code requests} decode rows whose contexts sum to {@code context} (spread evenly), in pool {@code pool}. */
    final void decodeRows(int requests, long context, int pool) {
        if (requests < 1 || requests > limits.maxSequences() || context > limits.maxContextTokens()) {
            throw new IllegalArgumentException("timer: " + requests + " decode rows over " + context + " context tokens outside 1.."
                    + limits.maxSequences() + " rows, " + limits.maxContextTokens() + " tokens");
        }
        batch.clear();
        int next = 0;
        for (int i = 0; i < requests; i++) {
            // a single sequence cannot exceed the model's positions; such cells are unreachable in a run anyway
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
        batch.close();
    }
}
