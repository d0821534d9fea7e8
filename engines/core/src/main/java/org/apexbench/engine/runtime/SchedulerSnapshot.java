package org.apexbench.engine.runtime;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.Location;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.workloads.RequestSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * A hand-built engine state for exercising a scheduler outside a run: benchmarks of the decision
 * cost and tests of what a scheduler decides in a given situation. Requests are added waiting or
 * mid-decode in a pool (their blocks really allocated), then {@link #context} gives the scheduler's view.
 */
public final class SchedulerSnapshot {
    private final List<TrackedRequest> waiting = new ArrayList<>();
    private final List<TrackedRequest> gpu = new ArrayList<>();
    private final List<TrackedRequest> host = new ArrayList<>();
    private final BlockPool gpuPool;
    private final BlockPool hostPool;
    private final KvCapacity kv;
    private final LoopContext context;
    private int count;

    public SchedulerSnapshot(ModelGeometry geometry, EngineBudgets budgets, Predictor predictor) {
        gpuPool = new BlockPool(Location.GPU, budgets.gpuKvBlocks());
        hostPool = new BlockPool(Location.HOST, budgets.hostKvBlocks());
        kv = new KvCapacity(budgets, geometry, gpuPool, hostPool);
        context = new LoopContext(waiting, gpu, host, kv, geometry, predictor);
    }

    /** Adds a request that has arrived and holds no KV. */
    public RequestState addWaiting(RequestSpec spec) {
        TrackedRequest r = new TrackedRequest(spec, count++, false);
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
        TrackedRequest r = new TrackedRequest(spec, count++, false);
        r.place(where);
        r.advanceKv(spec.promptLength() + generated - 1);
        for (int i = 0; i < generated; i++) r.recordToken(0, 0, lastProgress);
        BlockPool pool = where == Location.GPU ? gpuPool : hostPool;
        pool.growTo(r, kv.blocksFor(r.kvTokens()));
        (where == Location.GPU ? gpu : host).add(r);
        return r;
    }

    /** The scheduler's view at {@code iteration} and time {@code nowSec}. */
    public SchedulerContext context(long iteration, double nowSec) {
        context.advance(nowSec, iteration);
        return context;
    }
}
