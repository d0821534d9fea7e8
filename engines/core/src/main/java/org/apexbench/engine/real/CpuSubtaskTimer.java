package org.apexbench.engine.real;

import java.util.List;

import org.apexbench.engine.model.AttentionSubset;
import org.apexbench.engine.model.ForwardBatch;
import org.apexbench.engine.model.LlamaModel;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.SubtaskTimer;
import org.apexbench.workloads.SamplingParams;

/**
 * Times the real model's own subtasks on the cpu backend, one call per measurement (ProfileSweep repeats and
 * takes what it needs): PRE/POST/EMBED of layer 0 over {@code rows} tokens, LM_HEAD over {@code rows}
 * sequences, prefill attention of one prompt of {@code rows} tokens, decode attention of {@code requests}
 * rows sharing {@code contextTokens} evenly (GPU: the device backend over the device pool; CPU: the host
 * backend over the host pool, including the K/V append, as the real executor runs it), copies of
 * {@code bytes} between the two backends' buffers. LAUNCH is 0: the cpu backend launches nothing.
 * KV contents are whatever the pools hold (zeros): times do not depend on values.
 */
public final class CpuSubtaskTimer implements SubtaskTimer, AutoCloseable {
    private final LlamaModel model;
    private final Backend host;
    private final int maxTokens;
    private final int maxSequences;
    private final long maxContextTokens;
    private final long maxCopyBytes;
    private final KvPool devicePool;
    private final KvPool hostPool;
    private final ForwardBatch batch;
    private final DeviceBuffer copyA, copyB;

    /**
     * @param model            the model on the device backend
     * @param host             the host-attention backend
     * @param maxTokens        widest linear subtask / longest prompt to time
     * @param maxSequences     most decode rows / LM-head rows to time
     * @param maxContextTokens most total decode context to time
     * @param maxCopyBytes     biggest copy to time
     */
    public CpuSubtaskTimer(LlamaModel model, Backend host, int maxTokens, int maxSequences, long maxContextTokens,
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
        devicePool = model.allocatePool(blocks, kvType);
        KvGeometry g = model.config().kvGeometry(blocks, kvType);
        hostPool = new KvPool(g, host.allocate(g.bufferBytes()), host.allocate(g.bufferBytes()));
        batch = model.newBatch(maxTokens, maxSequences, List.of(devicePool, hostPool));
        copyA = model.backend().allocate(maxCopyBytes);
        copyB = host.allocate(maxCopyBytes);
    }

    @Override
    public double seconds(Op op, SubtaskFeatures f) {
        return switch (op) {
            case PRE -> { oneSequence(f.rows(), 0); long t = System.nanoTime(); model.pre(0, batch); yield since(t); }
            case POST -> { oneSequence(f.rows(), 0); long t = System.nanoTime(); model.post(0, batch); yield since(t); }
            case EMBED -> { oneSequence(f.rows(), 0); long t = System.nanoTime(); model.embed(batch); yield since(t); }
            case LM_HEAD -> {
                decodeRows(f.rows(), f.rows(), 0);
                int[] out = new int[f.rows()];
                SamplingParams[] p = new SamplingParams[f.rows()];
                java.util.Arrays.fill(p, SamplingParams.GREEDY);
                long t = System.nanoTime();
                model.logits(batch);
                model.sample(batch, p, new int[f.rows()], out);
                yield since(t);
            }
            case PREFILL_ATTN -> {
                oneSequence(f.rows(), 0);
                model.embed(batch);
                model.pre(0, batch);
                AttentionSubset s = batch.poolSubset(0);
                long t = System.nanoTime();
                model.attention(0, s);
                yield since(t);
            }
            case GPU_DECODE_ATTN -> {
                decodeRows(f.requests(), f.contextTokens(), 0);
                AttentionSubset s = batch.poolSubset(0);
                long t = System.nanoTime();
                model.attention(0, s);
                yield since(t);
            }
            case CPU_DECODE_ATTN -> {
                decodeRows(f.requests(), f.contextTokens(), 1);
                AttentionSubset s = batch.poolSubset(1);
                long t = System.nanoTime();
                model.appendKv(host, 0, batch, 1, batch.newKeys(), batch.newValues());
                model.attention(host, 0, s, hostPool, batch.queries(), batch.attentionOutput());
                yield since(t);
            }
            case QKV_D2H, ATTN_OUT_H2D, SWAP_IN, SWAP_OUT -> {
                if (f.bytes() > maxCopyBytes) {
                    throw new IllegalArgumentException(op + " of " + f.bytes() + " bytes exceeds the timer's " + maxCopyBytes);
                }
                boolean toHost = op == Op.QKV_D2H || op == Op.SWAP_OUT;
                long t = System.nanoTime();
                if (f.bytes() > 0) host.copy(toHost ? copyA : copyB, 0, toHost ? copyB : copyA, 0, f.bytes());
                yield since(t);
            }
            case LAUNCH -> 0;
        };
    }

    private static double since(long t0) { return (System.nanoTime() - t0) / 1e9; }

    /** One sequence of {@code rows} new tokens at position 0 in pool {@code pool}. */
    private void oneSequence(int rows, int pool) {
        if (rows < 1 || rows > maxTokens) {
            throw new IllegalArgumentException("timer: " + rows + " rows outside 1.." + maxTokens);
        }
        batch.clear();
        int[] table = new int[(rows + 15) / 16];
        for (int i = 0; i < table.length; i++) table[i] = i;
        batch.add("timed", new int[rows], 0, rows, 0, table, pool);
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
