package org.apexbench.engine.runtime;

import org.apexbench.engine.EngineBudgets;

import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.SubtaskRecord;

import java.util.List;

/**
 * Everything a run recorded.
 *
 * @param engine       engine id
 * @param description  engine description (options, host runtime)
 * @param executor     "sim" or the backend that ran it
 * @param budgets      budgets the run used
 * @param requests     one record per request, in the order of the input list
 * @param iterations   one record per iteration (empty when not recorded)
 * @param subtasks     subtask records of the recorded window
 * @param outputTokens tokens generated in total
 * @param durationSec  first arrival to last completion
 */
public record RunResult(String engine, String description, String executor, EngineBudgets budgets,
                        List<RequestRecord> requests, List<IterationRecord> iterations, List<SubtaskRecord> subtasks,
                        long outputTokens, double durationSec) {
    public RunResult {
        requests = List.copyOf(requests);
        iterations = List.copyOf(iterations);
        subtasks = List.copyOf(subtasks);
    }

    /** Output tokens per second over the run's duration. */
    public double outputThroughput() { return durationSec > 0 ? outputTokens / durationSec : 0; }
}
