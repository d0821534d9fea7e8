package org.apexbench.engine.runtime;

import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.RequestState;

import org.apexbench.profiler.SubtaskRecord;

import java.util.List;
import java.util.function.Consumer;

/**
 * Runs an iteration plan: simulated (virtual clock) or real (two-thread runtime). The run's clock is
 * the executor's.
 */
public interface Executor extends AutoCloseable {
    /**
     * Executes {@code plan} starting at {@code startSec}. Pools and block tables already reflect the
     * plan's swaps and allocations; {@code swaps} says where each swapped request's blocks came from.
     *
     * @param subtasks receives every subtask record, or null when not recording
     */
    IterationOutcome execute(IterationPlan plan, List<SwapMove> swaps, long iteration, double startSec,
                             Consumer<SubtaskRecord> subtasks);

    /** A whole-request swap as executed: block ids before and after. */
    record SwapMove(RequestState request, Location from, int[] fromBlocks, int[] toBlocks) {
        public int blocks() { return fromBlocks.length; }
    }

    @Override
    default void close() { }
}
