package org.apexbench.reports;

import java.util.List;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.SubtaskRecord;

/** Everything one engine run recorded. {@code subtasks} may hold only a window of iterations, or none. */
public record RunRecords(List<RequestRecord> requests, List<IterationRecord> iterations, List<SubtaskRecord> subtasks) {
    public RunRecords {
        requests = List.copyOf(requests);
        iterations = List.copyOf(iterations);
        subtasks = List.copyOf(subtasks);
    }
}
