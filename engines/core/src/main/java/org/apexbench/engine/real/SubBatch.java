package org.apexbench.engine.real;

import java.util.ArrayList;
import java.util.List;

import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.model.AttentionSubset;
import org.apexbench.model.ForwardBatch;
import org.apexbench.workloads.SamplingParams;

/**
 * One (sub-)batch of an iteration on the real model: its {@link ForwardBatch} (pools: GPU, host pool for
 * prefill KV the device writes, host pool for CPU-decode KV the host thread appends) and the attention
 * subsets by where they run, built once per iteration before any thread uses them.
 */
final class SubBatch {
    static final int GPU_POOL = 0;
    static final int HOST_PREFILL_POOL = 1;
    static final int HOST_DECODE_POOL = 2;

    final ForwardBatch batch;
    final List<RequestState> rows = new ArrayList<>();
    /** Per sequence: whether its token is sampled this iteration (false for a prefill chunk that does not complete). */
    final List<Boolean> samples = new ArrayList<>();
    AttentionSubset gpuPrefill, hostPrefill, gpuDecode, cpuDecode;
    int prefillTokens, prefillSeqs, hostPrefillTokens, gpuDecodes, cpuDecodes, cpuFirstRow;
    long prefillPairs, gpuContext, cpuContext;

    SubBatch(ForwardBatch batch) { this.batch = batch; }

    void clear() {
        batch.clear();
        rows.clear();
        samples.clear();
        gpuPrefill = hostPrefill = gpuDecode = cpuDecode = null;
        prefillTokens = prefillSeqs = hostPrefillTokens = gpuDecodes = cpuDecodes = cpuFirstRow = 0;
        prefillPairs = gpuContext = cpuContext = 0;
    }

    boolean isEmpty() { return rows.isEmpty(); }

    void addPrefill(PrefillChunk c) {
        RequestState r = c.request();
        int[] tokens = new int[c.length()];
        for (int i = 0; i < tokens.length; i++) tokens[i] = contextToken(r, c.start() + i);
        boolean host = c.pool() == Location.HOST;
        batch.add("request " + r.id(), tokens, 0, tokens.length, c.start(), r.blockTable(), host ? HOST_PREFILL_POOL : GPU_POOL);
        rows.add(r);
        samples.add(c.completes());
        prefillTokens += c.length();
        prefillSeqs++;
        prefillPairs += c.attendedPairs();
        if (host) hostPrefillTokens += c.length();
    }

    void addDecode(RequestState r, boolean onCpu) {
        int pos = r.contextLength() - 1;
        if (onCpu && cpuDecodes == 0) cpuFirstRow = batch.rows();
        batch.add("request " + r.id(), new int[] {contextToken(r, pos)}, 0, 1, pos, r.blockTable(),
                onCpu ? HOST_DECODE_POOL : GPU_POOL);
        rows.add(r);
        samples.add(true);
        if (onCpu) {
            cpuDecodes++;
            cpuContext += r.contextLength();
        } else {
            gpuDecodes++;
            gpuContext += r.contextLength();
        }
    }

    /** Builds the attention subsets (and seals the batch) before the layer stack starts. */
    void seal() {
        List<Integer> gp = new ArrayList<>(), hp = new ArrayList<>(), gd = new ArrayList<>(), cd = new ArrayList<>();
        for (int s = 0; s < batch.sequences(); s++) {
            boolean decode = s >= prefillSeqs;
            switch (batch.pool(s)) {
                case GPU_POOL -> (decode ? gd : gp).add(s);
                case HOST_PREFILL_POOL -> hp.add(s);
                default -> cd.add(s);
            }
        }
        gpuPrefill = subset(gp);
        hostPrefill = subset(hp);
        gpuDecode = subset(gd);
        cpuDecode = subset(cd);
        batch.poolSubset(GPU_POOL);
    }

    private AttentionSubset subset(List<Integer> seqs) {
        return seqs.isEmpty() ? null : batch.subset(seqs.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Sampling parameters and draw numbers of every sequence. */
    SamplingParams[] params() {
        SamplingParams[] p = new SamplingParams[rows.size()];
        for (int i = 0; i < p.length; i++) p[i] = rows.get(i).spec().sampling();
        return p;
    }

    int[] steps() {
        int[] s = new int[rows.size()];
        for (int i = 0; i < s.length; i++) s[i] = rows.get(i).generated();
        return s;
    }

    /** Token at context position {@code pos}: a prompt token, or an output already generated (re-prefill). */
    static int contextToken(RequestState r, int pos) {
        return pos < r.promptLength() ? r.spec().promptToken(pos) : r.outputId(pos - r.promptLength());
    }
}
