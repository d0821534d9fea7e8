package org.apexbench.profiler;

/**
 * One executed subtask. Times are seconds since the run's start (virtual time in sim).
 *
 * @param iteration    iteration index
 * @param layer        decoder layer, or -1 for subtasks outside the layer stack
 * @param stage        0 or 1: the sub-batch in pipelined strategies, 0 otherwise
 * @param op           what ran
 * @param resource     where it ran
 * @param rows         rows (tokens) of a linear subtask, or requests of an attention subtask
 * @param contextTokens total context tokens an attention subtask read (0 otherwise)
 * @param bytes        bytes moved by a copy (0 otherwise)
 * @param startSec     start time
 * @param endSec       end time
 * @param predictedSec the scheduler's prediction of the duration, NaN when it made none
 */
public record SubtaskRecord(long iteration, int layer, int stage, Op op, Resource resource, int rows,
                            long contextTokens, long bytes, double startSec, double endSec, double predictedSec) {
    public double durationSec() { return endSec - startSec; }
}
