package org.apexbench.engine;

import org.apexbench.workloads.RequestSpec;

/**
 * A request as a scheduler sees it (read-only; the runtime's engine loop is the only writer). Lifecycle
 * WAITING -> PREFILL -> DECODE (GPU or CPU) -> FINISHED, with PREEMPTED as a detour. A decode is the last
 * remaining token of the context: the runtime treats "process the {@link #remainingTokens()} not yet in the
 * KV cache, then sample" uniformly, so a request preempted by recompute simply prefills its prompt plus what
 * it generated so far again.
 */
public interface RequestState {
    /** Where a request is in its life. */
    enum Phase { WAITING, PREFILL, DECODE, FINISHED }

    RequestSpec spec();

    /** Position in the run's request list (arrival order, ties by list order). */
    int index();

    /** When it arrived: the spec's time, or in a closed loop the time its client's previous request finished. */
    double arrivalSec();

    Location location();

    /** Tokens whose K/V is cached. */
    int kvTokens();

    /** Output tokens produced so far. */
    int generated();

    int preemptions();

    int cpuDecodeSteps();

    /** KV blocks held. */
    int blocks();

    /** Block ids held, in token order (a copy). */
    int[] blockTable();

    /** Block id {@code i} of the table. */
    int block(int i);

    /** Iteration that last advanced this request, -1 if none. */
    long lastProgressIteration();

    /** Whether it has been admitted (got KV) at least once. */
    boolean everAdmitted();

    /** Time of output token {@code i}. */
    double tokenTime(int i);

    /** Token ids produced (only when the executor produces real tokens), or null. */
    int[] outputIds();

    /** Output token id {@code i} (i &lt; generated) without copying; only when token ids are kept. */
    int outputId(int i);

    default String id() { return spec().id(); }

    default int promptLength() { return spec().promptLength(); }

    default int targetOutput() { return spec().outputTokens(); }

    /** Prompt plus generated tokens: the tokens known so far. */
    default int contextLength() { return spec().promptLength() + generated(); }

    /** Known tokens not yet in the KV cache: the whole prompt before prefill, 1 during decode. */
    default int remainingTokens() { return contextLength() - kvTokens(); }

    /** Decoding: past its first token and only the newest token lacks KV. */
    default boolean decoding() { return generated() > 0 && location() != Location.NONE && remainingTokens() == 1; }

    default boolean finished() { return generated() == spec().outputTokens(); }

    default Phase phase() {
        if (finished()) return Phase.FINISHED;
        if (location() == Location.NONE && kvTokens() == 0) return Phase.WAITING;
        return decoding() ? Phase.DECODE : Phase.PREFILL;
    }
}
