package org.apexbench.engine.runtime;

import org.apexbench.profiler.IterationRecord;

/**
 * Which iterations' subtask records a run keeps when that is known only once the run ends (a report's timeline
 * window, picked from all iterations): told each iteration as it ends, it says from which iteration on records may
 * still be needed, so the loop drops older ones as it goes and runs once.
 */
public interface SubtaskWindow {
    /** Told the record of the iteration that just ended; returns the first iteration whose subtasks may still be kept. */
    long observe(IterationRecord iteration);

    /** After the last iteration: {@code [from, to)}, the iterations whose subtasks are kept. */
    long[] window();
}
