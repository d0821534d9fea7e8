package org.apexbench.engine;

import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * A request in a state written down by hand, for tests of what schedulers and the planning layer decide: any phase
 * (waiting, part-way through a prefill, recomputed, decoding) in any pool, holding exactly the blocks its cached
 * tokens need. Only what a scheduler reads is meaningful; token times and ids are not kept.
 *
 * @param kvTokens  tokens whose KV is cached
 * @param generated output tokens produced so far
 * @param blocks    KV blocks held
 */
public record StubRequest(RequestSpec spec, int index, Location location, int kvTokens, int generated, int blocks)
        implements RequestState {

    private static RequestSpec spec(String id, int prompt, int output) {
        return new RequestSpec(id, 0, new int[prompt], output, SamplingParams.GREEDY);
    }

    /** Arrived, holding no KV. */
    public static StubRequest waiting(String id, int index, int prompt, int output) {
        return new StubRequest(spec(id, prompt, output), index, Location.NONE, 0, 0, 0);
    }

    /** Preempted by recompute after {@code generated} tokens: back in the queue, its prompt and output to prefill again. */
    public static StubRequest recomputed(String id, int index, int prompt, int generated, int output) {
        return new StubRequest(spec(id, prompt, output), index, Location.NONE, 0, generated, 0);
    }

    /** In {@code pool}, {@code cached} of its prompt's tokens prefilled (blocks of {@code blockSize}). */
    public static StubRequest prefilling(String id, int index, int prompt, int cached, Location pool, int blockSize) {
        return new StubRequest(spec(id, prompt, 8), index, pool, cached, 0, KvCapacity.blocksFor(cached, blockSize));
    }

    /** In {@code pool} after {@code generated} (&ge; 1) tokens: its context but the newest token cached. */
    public static StubRequest decoding(String id, int index, int prompt, int generated, Location pool, int blockSize) {
        int kv = prompt + generated - 1;
        return new StubRequest(spec(id, prompt, generated + 8), index, pool, kv, generated, KvCapacity.blocksFor(kv, blockSize));
    }

    @Override public double arrivalSec() { return spec.arrivalSec(); }
    @Override public int preemptions() { return 0; }
    @Override public int cpuDecodeSteps() { return 0; }
    @Override public int[] blockTable() { return new int[blocks]; }
    @Override public int block(int i) { return 0; }
    @Override public long lastProgressIteration() { return -1; }
    @Override public boolean everAdmitted() { return location != Location.NONE || generated > 0; }
    @Override public double tokenTime(int i) { return 0; }
    @Override public int[] outputIds() { return null; }
    @Override public int outputId(int i) { throw new UnsupportedOperationException("no token ids kept"); }
}
