package org.apexbench.engine.runtime;

import org.apexbench.engine.Location;
import org.apexbench.engine.RequestState;
import org.apexbench.workloads.RequestSpec;

import java.util.Arrays;

/**
 * The runtime's state of one request: what schedulers read through {@link RequestState}, and the mutators
 * the engine loop, the block pools and engine snapshots use (package-private: nothing else writes it).
 */
final class TrackedRequest implements RequestState {

    private final RequestSpec spec;
    /**
     * The spec's prompt and output lengths, copied here: schedulers read a request's context length several times per
     * decision over hundreds of requests, and each read through the spec is two more dependent loads (the spec, its
     * prompt array's header) that miss the cache at 512 requests (JFR on ApexDecisionBench: 7% of the decision).
     */
    private final int promptLength, outputTokens;
    private final int index;
    private Location location = Location.NONE;
    private int kvTokens;
    private int generated;
    private final double[] tokenTimes;
    private int[] outputIds;
    private int preemptions;
    private int cpuDecodeSteps;
    private int[] blockTable = new int[4];
    private int blockCount;
    private long lastProgressIteration = -1;
    private boolean admitted;
    private long plannedIteration = -1;
    private double arrivalSec;

    TrackedRequest(RequestSpec spec, int index, boolean keepTokenIds) {
        this.spec = spec;
        this.promptLength = spec.promptLength();
        this.outputTokens = spec.outputTokens();
        this.index = index;
        this.tokenTimes = new double[spec.outputTokens()];
        this.outputIds = keepTokenIds ? new int[spec.outputTokens()] : null;
        this.arrivalSec = spec.arrivalSec();
    }

    /** When it arrived: the spec's time, or in a closed loop the time its client's previous request finished. */
    @Override public double arrivalSec() { return arrivalSec; }

    void arriveAt(double t) { arrivalSec = t; }

    @Override public RequestSpec spec() { return spec; }

    @Override public int promptLength() { return promptLength; }

    @Override public int targetOutput() { return outputTokens; }

    /** As {@link RequestState#contextLength}, from the lengths held here. */
    @Override public int contextLength() { return promptLength + generated; }

    @Override public boolean finished() { return generated == outputTokens; }

    /** Position in the run's request list (arrival order, ties by list order). */
    @Override public int index() { return index; }

    @Override public Location location() { return location; }

    /** Tokens whose K/V is cached. */
    @Override public int kvTokens() { return kvTokens; }

    /** Output tokens produced so far. */
    @Override public int generated() { return generated; }

    @Override public int preemptions() { return preemptions; }

    @Override public int cpuDecodeSteps() { return cpuDecodeSteps; }

    /** KV blocks held. */
    @Override public int blocks() { return blockCount; }

    /** Block ids held, in token order (a copy). */
    @Override public int[] blockTable() { return Arrays.copyOf(blockTable, blockCount); }

    /** Block id {@code i} of the table. */
    @Override public int block(int i) { return blockTable[i]; }

    /** Iteration that last advanced this request, -1 if none. */
    @Override public long lastProgressIteration() { return lastProgressIteration; }

    /** Whether it has been admitted (got KV) at least once. */
    @Override public boolean everAdmitted() { return admitted; }

    /** Time of output token {@code i}. */
    @Override public double tokenTime(int i) { return tokenTimes[i]; }

    /** Token ids produced (only when the executor produces real tokens). */
    @Override public int[] outputIds() { return outputIds == null ? null : Arrays.copyOf(outputIds, generated); }

    /** Output token id {@code i} (i &lt; generated) without copying; only when token ids are kept. */
    @Override public int outputId(int i) {
        if (outputIds == null) throw new IllegalStateException("request " + spec.id() + ": token ids are not kept in this run");
        if (i < 0 || i >= generated) throw new IndexOutOfBoundsException("output token " + i + " of " + generated + " generated");
        return outputIds[i];
    }

    // ---- engine-loop mutators (package-private) ----

    void place(Location where) {
        location = where;
        admitted = admitted || where != Location.NONE;
    }

    void appendBlock(int block) {
        if (blockCount == blockTable.length) blockTable = Arrays.copyOf(blockTable, blockTable.length * 2);
        blockTable[blockCount++] = block;
    }

    void replaceBlocks(int[] blocks) {
        blockTable = blocks.length == 0 ? new int[4] : blocks.clone();
        blockCount = blocks.length;
    }

    void clearBlocks() { blockCount = 0; }

    void advanceKv(int tokens) { kvTokens += tokens; }

    void recordToken(double timeSec, int tokenId, long iteration) {
        tokenTimes[generated] = timeSec;
        if (outputIds != null) outputIds[generated] = tokenId;
        generated++;
        lastProgressIteration = iteration;
    }

    /** Marks the request as advanced by {@code iteration}'s plan; false if it already was (a plan listing it twice). */
    boolean markPlanned(long iteration) {
        if (plannedIteration == iteration) return false;
        plannedIteration = iteration;
        return true;
    }

    void markProgress(long iteration) { lastProgressIteration = iteration; }

    void countCpuDecode() { cpuDecodeSteps++; }

    void preemptByRecompute() {
        preemptions++;
        kvTokens = 0;
        location = Location.NONE;
        blockCount = 0;
    }

    void countSwapPreemption() { preemptions++; }

    double[] tokenTimesView() { return tokenTimes; }

    @Override
    public String toString() {
        return "Request[" + spec.id() + " " + phase() + " " + location + " kv=" + kvTokens + " out=" + generated + "/"
                + spec.outputTokens() + "]";
    }
}
