package org.apexbench.engine;

import org.apexbench.workloads.RequestSpec;

import java.util.Arrays;

/**
 * A request's runtime state. Lifecycle WAITING -> PREFILL -> DECODE (GPU or CPU) -> FINISHED, with
 * PREEMPTED as a detour. A decode is the last remaining token of the context: the runtime treats
 * "process the {@link #remainingTokens()} not yet in the KV cache, then sample" uniformly, so a
 * request preempted by recompute simply prefills its prompt plus what it generated so far again.
 * Mutated only by the engine loop; schedulers read it.
 */
public final class RequestState {
    /** Where a request is in its life. */
    public enum Phase { WAITING, PREFILL, DECODE, FINISHED }

    private final RequestSpec spec;
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

    RequestState(RequestSpec spec, int index, boolean keepTokenIds) {
        this.spec = spec;
        this.index = index;
        this.tokenTimes = new double[spec.outputTokens()];
        this.outputIds = keepTokenIds ? new int[spec.outputTokens()] : null;
        this.arrivalSec = spec.arrivalSec();
    }

    /** When it arrived: the spec's time, or in a closed loop the time its client's previous request finished. */
    public double arrivalSec() { return arrivalSec; }

    void arriveAt(double t) { arrivalSec = t; }

    public RequestSpec spec() { return spec; }

    public String id() { return spec.id(); }

    /** Position in the run's request list (arrival order, ties by list order). */
    public int index() { return index; }

    public Location location() { return location; }

    /** Tokens whose K/V is cached. */
    public int kvTokens() { return kvTokens; }

    /** Output tokens produced so far. */
    public int generated() { return generated; }

    public int promptLength() { return spec.promptLength(); }

    public int targetOutput() { return spec.outputTokens(); }

    /** Prompt plus generated tokens: the tokens known so far. */
    public int contextLength() { return spec.promptLength() + generated; }

    /** Known tokens not yet in the KV cache: the whole prompt before prefill, 1 during decode. */
    public int remainingTokens() { return contextLength() - kvTokens; }

    /** Decoding: past its first token and only the newest token lacks KV. */
    public boolean decoding() { return generated > 0 && location != Location.NONE && remainingTokens() == 1; }

    public boolean finished() { return generated == spec.outputTokens(); }

    public Phase phase() {
        if (finished()) return Phase.FINISHED;
        if (location == Location.NONE && kvTokens == 0) return Phase.WAITING;
        return decoding() ? Phase.DECODE : Phase.PREFILL;
    }

    /** Most KV tokens this request ever holds: every known token but the last sampled one. */
    public int peakKvTokens() { return spec.promptLength() + spec.outputTokens() - 1; }

    public int preemptions() { return preemptions; }

    public int cpuDecodeSteps() { return cpuDecodeSteps; }

    /** KV blocks held. */
    public int blocks() { return blockCount; }

    /** Block ids held, in token order (a copy). */
    public int[] blockTable() { return Arrays.copyOf(blockTable, blockCount); }

    /** Block id {@code i} of the table. */
    public int block(int i) { return blockTable[i]; }

    /** Iteration that last advanced this request, -1 if none. */
    public long lastProgressIteration() { return lastProgressIteration; }

    /** Whether it has been admitted (got KV) at least once. */
    public boolean everAdmitted() { return admitted; }

    /** Time of output token {@code i}. */
    public double tokenTime(int i) { return tokenTimes[i]; }

    /** Token ids produced (only when the executor produces real tokens). */
    public int[] outputIds() { return outputIds == null ? null : Arrays.copyOf(outputIds, generated); }

    /** Output token id {@code i} (i &lt; generated) without copying; only when token ids are kept. */
    public int outputId(int i) {
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
