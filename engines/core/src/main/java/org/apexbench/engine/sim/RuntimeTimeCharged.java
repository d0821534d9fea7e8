package org.apexbench.engine.sim;

import java.util.List;
import java.util.function.Consumer;
import java.util.function.ToDoubleFunction;

import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.runtime.Executor;
import org.apexbench.profiler.SubtaskRecord;

/**
 * A simulated executor whose every iteration starts the runtime's measured time outside subtasks after the loop hands it
 * over: one median per iteration, or the iteration's own composition's cost ({@link org.apexbench.profiler.table.IterationCost}:
 * device decode rows, host decode rows, prefill tokens), as the engine's real runs measured it (docs/validation.md, run 19).
 */
final class RuntimeTimeCharged implements Executor {
    private final Executor sim;
    private final ToDoubleFunction<IterationPlan> outsideSec;

    RuntimeTimeCharged(Executor sim, ToDoubleFunction<IterationPlan> outsideSec) {
        this.sim = sim;
        this.outsideSec = outsideSec;
    }

    @Override
    public IterationOutcome execute(IterationPlan plan, List<SwapMove> swaps, long iteration, double startSec, Consumer<SubtaskRecord> sink) {
        return sim.execute(plan, swaps, iteration, startSec + outsideSec.applyAsDouble(plan), sink);
    }

    @Override
    public void close() { sim.close(); }
}
