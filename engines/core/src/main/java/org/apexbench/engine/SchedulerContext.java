package org.apexbench.engine;

import org.apexbench.profiler.model.ModelGeometry;

import org.apexbench.engine.predict.Predictor;

import java.util.List;

/**
 * What a scheduler sees when it plans an iteration. The lists are read-only live views of the engine loop's
 * queues: {@link #waiting()} in FCFS order (arrival; requests preempted by recompute go back in their arrival
 * position), {@link #gpuRunning()} in admission order (swap-ins at the tail), {@link #hostRunning()} with
 * swapped-out victims at the front (NEO's queue discipline).
 */
public interface SchedulerContext {
    List<RequestState> waiting();

    List<RequestState> gpuRunning();

    List<RequestState> hostRunning();

    /** Pool sizes, live occupancy and block arithmetic. */
    KvCapacity kv();

    EngineBudgets budgets();

    ModelGeometry geometry();

    /** Per-layer time predictions from profile tables. */
    Predictor predictor();

    /** The run's clock (virtual in sim), seconds. */
    double nowSec();

    long iteration();

    default int runningCount() { return gpuRunning().size() + hostRunning().size(); }
}
