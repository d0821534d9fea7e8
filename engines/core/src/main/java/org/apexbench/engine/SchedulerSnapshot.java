package org.apexbench.engine;

import org.apexbench.workloads.RequestSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * A hand-built engine state for exercising a scheduler outside a run: benchmarks of the decision
 * cost and tests of what a scheduler decides in a given situation. Requests are added waiting or
 * mid-decode in a pool (their blocks really allocated), then {@link #context} gives the scheduler's view.
 */
public final class SchedulerSnapshot {
    private final List<RequestState> waiting = new ArrayList<>();
    private final List<RequestState> gpu = new ArrayList<>();
    private final List<RequestState> host = new ArrayList<>();
    private final BlockPool gpuPool;
    private final BlockPool hostPool;
    private final SchedulerContext context;
    private int count;

    public SchedulerSnapshot(EngineGeometry geometry, EngineBudgets budgets, Predictor predictor) {
        gpuPool = new BlockPool(Location.GPU, budgets.gpuKvBlocks());
        hostPool = new BlockPool(Location.HOST, budgets.hostKvBlocks());
        context = new SchedulerContext(waiting, gpu, host, gpuPool, hostPool, budgets, geometry, predictor);
    }

    /** Adds a request that has arrived and holds no KV. */
    public RequestState addWaiting(RequestSpec spec) {
        RequestState r = new RequestState(spec, count++, false);
        waiting.add(r);
        return r;
    }

    /**
     * Adds a request decoding in {@code where} after {@code generated} (&ge; 1) output tokens, last
     * advanced at iteration {@code lastProgress}.
     */
    public RequestState addDecoding(RequestSpec spec, Location where, int generated, long lastProgress) {
        if (where == Location.NONE || generated < 1 || generated >= spec.outputTokens()) {
            throw new IllegalArgumentException("a decoding request needs a pool and 1 <= generated < its output length");
        }
        RequestState r = new RequestState(spec, count++, false);
        r.place(where);
        r.advanceKv(spec.promptLength() + generated - 1);
        for (int i = 0; i < generated; i++) r.recordToken(0, 0, lastProgress);
        BlockPool pool = where == Location.GPU ? gpuPool : hostPool;
        pool.growTo(r, context.blocksFor(r.kvTokens()));
        (where == Location.GPU ? gpu : host).add(r);
        return r;
    }

    /** The scheduler's view at {@code iteration} and time {@code nowSec}. */
    public SchedulerContext context(long iteration, double nowSec) {
        context.advance(nowSec, iteration);
        return context;
    }
}
