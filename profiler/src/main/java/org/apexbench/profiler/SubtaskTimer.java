package org.apexbench.profiler;

/**
 * Anything that can tell how long one subtask takes: the simulator's cost models here, real
 * backends (which run the subtask and time it) in engines/core. {@code ProfileSweep} builds
 * profile tables from any of them. Units as {@link SubtaskFeatures}: seconds per layer for PRE,
 * POST and the attention ops, whole otherwise.
 */
@FunctionalInterface
public interface SubtaskTimer {
    double seconds(Op op, SubtaskFeatures features);
}
