package org.apexbench.engine.runtime;

import java.util.List;
import java.util.function.Consumer;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.SubtaskRecord;

/** A run's subtask records cut to a {@link SubtaskWindow}: older ones dropped as the run goes, the rest at its end. */
final class WindowedSubtasks {
    private WindowedSubtasks() { }

    /** Records each iteration into {@code iterations} and drops the subtasks {@code window} no longer needs. */
    static Consumer<IterationRecord> recorder(SubtaskWindow window, List<IterationRecord> iterations,
                                              List<SubtaskRecord> subtasks) {
        return it -> {
            iterations.add(it);
            dropBefore(subtasks, window.observe(it));
        };
    }

    /** After the run: keeps only the subtasks of the window's iterations. */
    static void cut(SubtaskWindow window, List<SubtaskRecord> subtasks) {
        long[] w = window.window();
        subtasks.removeIf(s -> s.iteration() < w[0] || s.iteration() >= w[1]);
    }

    /**
     * Drops the subtask records (in iteration order) of iterations before {@code from}, once they are at least half of
     * the list, so each record is moved a bounded number of times.
     */
    private static void dropBefore(List<SubtaskRecord> subtasks, long from) {
        int n = subtasks.size();
        if (n < 1024 || subtasks.get(n / 2).iteration() >= from) return;
        int k = n / 2;
        while (k < n && subtasks.get(k).iteration() < from) k++;
        subtasks.subList(0, k).clear();
    }
}
