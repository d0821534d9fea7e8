package org.apexbench.engine.runtime;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.engine.predict.Predictor;

import java.util.Collections;
import java.util.List;

/** The engine loop's {@link SchedulerContext}: read-only views of its queues and pools, advanced each iteration. */
final class LoopContext implements SchedulerContext {
    private final List<RequestState> waiting;
    private final List<RequestState> gpuRunning;
    private final List<RequestState> hostRunning;
    private final KvCapacity kv;
    private final ModelGeometry geometry;
    private final Predictor predictor;
    private double nowSec;
    private long iteration;

    LoopContext(List<TrackedRequest> waiting, List<TrackedRequest> gpuRunning, List<TrackedRequest> hostRunning,
                KvCapacity kv, ModelGeometry geometry, Predictor predictor) {
        this.waiting = Collections.unmodifiableList(waiting);
        this.gpuRunning = Collections.unmodifiableList(gpuRunning);
        this.hostRunning = Collections.unmodifiableList(hostRunning);
        this.kv = kv;
        this.geometry = geometry;
        this.predictor = predictor;
    }

    void advance(double nowSec, long iteration) {
        this.nowSec = nowSec;
        this.iteration = iteration;
    }

    @Override public List<RequestState> waiting() { return waiting; }

    @Override public List<RequestState> gpuRunning() { return gpuRunning; }

    @Override public List<RequestState> hostRunning() { return hostRunning; }

    @Override public KvCapacity kv() { return kv; }

    @Override public EngineBudgets budgets() { return kv.budgets(); }

    @Override public ModelGeometry geometry() { return geometry; }

    @Override public Predictor predictor() { return predictor; }

    @Override public double nowSec() { return nowSec; }

    @Override public long iteration() { return iteration; }
}
