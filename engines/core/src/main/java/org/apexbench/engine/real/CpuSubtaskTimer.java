package org.apexbench.engine.real;

import java.util.List;

import org.apexbench.model.ForwardBatch;
import org.apexbench.model.LlamaModel;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;

/**
 * Times the real model's own subtasks on the cpu backend, one call per measurement (ProfileSweep repeats and
 * takes what it needs): PRE/POST/EMBED of layer 0 over {@code rows} tokens, LM_HEAD over {@code rows}
 * sequences, prefill attention of one prompt of {@code rows} tokens, decode attention of {@code requests}
 * rows sharing {@code contextTokens} evenly (GPU: the device backend over the device pool; CPU: the host
 * backend over the host pool, including the K/V append, as the real executor runs it), copies of
 * {@code bytes} between the two backends' buffers. LAUNCH is 0: the cpu backend launches nothing.
 * KV contents are whatever the pools hold (zeros): times do not depend on values.
 */
public final class CpuSubtaskTimer extends ModelSubtaskTimer {
    private static final int HOST_POOL = 1;
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
        Limits limits = new Limits(maxTokens, maxSequences, maxContextTokens, maxCopyBytes);
        KvPool devicePool = model.allocatePool(limits.blocks(), kvType);
        KvGeometry g = model.config().kvGeometry(limits.blocks(), kvType);
        KvPool hostKv = new KvPool(g, host.allocate(g.bufferBytes()), host.allocate(g.bufferBytes()));
        ForwardBatch batch = model.newBatch(maxTokens, maxSequences, List.of(devicePool, hostKv));
        copyA = model.backend().allocate(maxCopyBytes);
        copyB = host.allocate(maxCopyBytes);
        // the host backend is the device backend's kind here: CPU attention works on the batch's own rows
        super(model, host, limits, batch, new HostAttentionBuffers(HOST_POOL, hostKv, batch.queries(), batch.newKeys(),
                batch.newValues(), batch.attentionOutput()));
    }

    @Override
    double deviceSeconds(Runnable work) {
        long t = System.nanoTime();
        work.run();
        return wallSecondsSince(t);
    }

    @Override
    double copySeconds(boolean toHost, long bytes) {
        long t = System.nanoTime();
        if (bytes > 0) host.copy(toHost ? copyA : copyB, 0, toHost ? copyB : copyA, 0, bytes);
        return wallSecondsSince(t);
    }

    /** The cpu backend launches nothing: its "launch" is the work itself, already timed. */
    @Override
    double launchSeconds() { return 0; }
}
