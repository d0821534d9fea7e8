package org.apexbench.engine.plan;

import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;

import java.util.List;

/**
 * Which rows of a plan go to which sub-batch, and the sums each sub-batch's subtasks are shaped by: the one
 * rule every executor and the busy-time accounting share. Sub-batch 0 holds every prefill chunk, every GPU
 * decode and the first {@link #cpuDecodesInFirst} CPU decodes; sub-batch 1 the other CPU decodes (empty
 * unless the strategy is pipelined). Reusable: {@link #fill} allocates nothing.
 */
public final class SubBatches {
    /** The sums of one sub-batch. */
    public static final class Shape {
        /** New tokens of the prefill chunks, the chunks, their attended (query, key) pairs. */
        public int prefillTokens, prefillSeqs;
        public long prefillPairs;
        /** Prefill tokens whose KV goes to the host pool (NEO's CPU prefill: streamed per layer). */
        public int hostPrefillTokens;
        /** GPU decodes and their summed context. */
        public int gpuDecodes;
        public long gpuContext;
        /** CPU decodes and their summed context. */
        public int cpuDecodes;
        public long cpuContext;

        void clear() {
            prefillTokens = prefillSeqs = hostPrefillTokens = gpuDecodes = cpuDecodes = 0;
            prefillPairs = gpuContext = cpuContext = 0;
        }

        /** Tokens through pre/post: prefill tokens plus one per decode. */
        public int width() { return prefillTokens + gpuDecodes + cpuDecodes; }

        public boolean isEmpty() { return width() == 0; }
    }

    private final Shape[] shapes = {new Shape(), new Shape()};
    private int sampled;

    /** How many of {@code plan}'s CPU decodes go to sub-batch 0: all unless the strategy is pipelined. */
    public static int cpuDecodesInFirst(IterationPlan plan) {
        return plan.strategy().pipelined() ? plan.cpuDecodesInFirstSubBatch() : plan.cpuDecodes().size();
    }

    /** The sub-batches of {@code plan}, from its requests as they are at planning time. */
    public SubBatches fill(IterationPlan plan) {
        Shape b0 = shapes[0], b1 = shapes[1];
        b0.clear();
        b1.clear();
        sampled = plan.gpuDecodes().size() + plan.cpuDecodes().size();
        for (PrefillChunk c : plan.prefills()) {
            b0.prefillTokens += c.length();
            b0.prefillSeqs++;
            b0.prefillPairs += c.attendedPairs();
            if (c.pool() == Location.HOST) b0.hostPrefillTokens += c.length();
            if (c.completes()) sampled++;
        }
        for (RequestState r : plan.gpuDecodes()) {
            b0.gpuDecodes++;
            b0.gpuContext += r.contextLength();
        }
        List<RequestState> cpu = plan.cpuDecodes();
        int split = cpuDecodesInFirst(plan);
        for (int i = 0; i < cpu.size(); i++) {
            Shape s = i < split ? b0 : b1;
            s.cpuDecodes++;
            s.cpuContext += cpu.get(i).contextLength();
        }
        return this;
    }

    /** Sub-batch {@code b} (0 or 1). */
    public Shape get(int b) { return shapes[b]; }

    /** Rows that sample a token: prefill chunks that complete their context, and every decode. */
    public int sampled() { return sampled; }

    /** Tokens through pre/post over both sub-batches. */
    public int width() { return shapes[0].width() + shapes[1].width(); }
}
