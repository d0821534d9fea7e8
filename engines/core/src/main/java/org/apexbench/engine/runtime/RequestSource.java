package org.apexbench.engine.runtime;

import org.apexbench.engine.RequestState;

import java.util.List;

/**
 * Where the engine loop's requests come from and who hears what becomes of them: a workload known before the
 * run ({@link WorkloadRequests}: arrival times on the run's clock, or a closed loop) or requests that arrive from
 * other threads while the loop runs ({@link OnlineRequests}: a server). The loop calls every method on its own
 * thread, in the order admit, cancellations, observe at the top of each turn.
 */
sealed interface RequestSource permits WorkloadRequests, OnlineRequests {
    /** The run clock's value when the loop starts. */
    double origin();

    /** Appends to {@code waiting}, in arrival order, the requests that have arrived by {@code now}. */
    void admit(double now, List<TrackedRequest> waiting);

    /**
     * Called when nothing the loop holds can advance: the time to go on at (a workload's next arrival, to which
     * the clock jumps; a server waits until a request arrives or one is cancelled), or NaN when no request will
     * come any more.
     */
    double nextArrival(double now);

    /** Requests to take out of the loop before the next plan, their KV freed (a server's cancellations). */
    default List<TrackedRequest> cancellations() { return List.of(); }

    /**
     * The loop's state of {@code r} if it is one of the requests this source admitted and still holds, else null
     * (a plan may only name those).
     */
    TrackedRequest tracked(RequestState r);

    /** The loop's queues and pools at the top of a turn. */
    default void observe(int waiting, int running, BlockPool gpuPool, BlockPool hostPool) { }

    /** {@code r} produced output token {@code tokenId} (0 where the executor computes no ids) at {@code timeSec}. */
    default void token(TrackedRequest r, int tokenId, double timeSec) { }

    /** {@code r} produced its last token at {@code timeSec}; its KV is already freed. */
    void finished(TrackedRequest r, double timeSec);
}
