package org.apexbench.engine.sim;

import java.util.List;
import java.util.function.Consumer;

import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.runtime.Executor;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.table.IterationCost;

/**
 * A simulated executor whose every iteration starts its runtime time outside subtasks after the loop hands it over, that
 * time taken from the iteration's own composition ({@link IterationCost}: device decode rows, host decode rows, prefill
 * tokens), as the engine's real runs measured it (docs/validation.md, run 19).
 */
final class CompositionCharged implements Executor {
    private final Executor sim;
    private final IterationCost cost;

    CompositionCharged(Executor sim, IterationCost cost) {
        this.sim = sim;
        this.cost = cost;
    }

    @Override
    public IterationOutcome execute(IterationPlan plan, List<SwapMove> swaps, long iteration, double startSec, Consumer<SubtaskRecord> sink) {
        double outside = cost.seconds(plan.gpuDecodes().size(), plan.cpuDecodes().size(), plan.prefillTokens());
        return sim.execute(plan, swaps, iteration, startSec + outside, sink);
    }

    @Override
    public void close() { sim.close(); }
}
