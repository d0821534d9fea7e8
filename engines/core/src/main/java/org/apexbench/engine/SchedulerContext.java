package org.apexbench.engine;

import java.util.Collections;
import java.util.List;

/**
 * What a scheduler sees when it plans an iteration. The lists are read-only live views of the
 * engine loop's queues: {@link #waiting()} in FCFS order (arrival; requests preempted by recompute
 * go back in their arrival position), {@link #gpuRunning()} in admission order (swap-ins at the
 * tail), {@link #hostRunning()} with swapped-out victims at the front (NEO's queue discipline).
 */
public final class SchedulerContext {
    private final List<RequestState> waiting;
    private final List<RequestState> gpuRunning;
    private final List<RequestState> hostRunning;
    private final BlockPool gpuPool;
    private final BlockPool hostPool;
    private final EngineBudgets budgets;
    private final EngineGeometry geometry;
    private final Predictor predictor;
    private double nowSec;
    private long iteration;

    SchedulerContext(List<RequestState> waiting, List<RequestState> gpuRunning, List<RequestState> hostRunning,
                     BlockPool gpuPool, BlockPool hostPool, EngineBudgets budgets, EngineGeometry geometry,
                     Predictor predictor) {
        this.waiting = Collections.unmodifiableList(waiting);
        this.gpuRunning = Collections.unmodifiableList(gpuRunning);
        this.hostRunning = Collections.unmodifiableList(hostRunning);
        this.gpuPool = gpuPool;
        this.hostPool = hostPool;
        this.budgets = budgets;
        this.geometry = geometry;
        this.predictor = predictor;
    }

    void advance(double nowSec, long iteration) {
        this.nowSec = nowSec;
        this.iteration = iteration;
    }

    public List<RequestState> waiting() { return waiting; }

    public List<RequestState> gpuRunning() { return gpuRunning; }

    public List<RequestState> hostRunning() { return hostRunning; }

    public BlockPool gpuPool() { return gpuPool; }

    public BlockPool hostPool() { return hostPool; }

    public EngineBudgets budgets() { return budgets; }

    public EngineGeometry geometry() { return geometry; }

    /** Per-layer time predictions from profile tables. */
    public Predictor predictor() { return predictor; }

    /** The run's clock (virtual in sim), seconds. */
    public double nowSec() { return nowSec; }

    public long iteration() { return iteration; }

    public int runningCount() { return gpuRunning.size() + hostRunning.size(); }

    public int blocksFor(long tokens) { return budgets.blocksFor(tokens); }

    /** Bytes moved by a whole-request swap of {@code blocks} blocks. */
    public long swapBytes(int blocks) { return (long) blocks * budgets.blockBytes(geometry); }
}
