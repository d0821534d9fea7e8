package org.apexbench.reports;

import java.util.ArrayList;
import java.util.List;
import org.apexbench.profiler.IterationRecord;

/**
 * The report's timeline window (the iterations whose subtasks its timeline draws) picked while a run goes, so a run keeps only the
 * subtask records that can still fall in it and runs once. Told each iteration as it ends, it says from which
 * iteration on the window can still start: {@link TimelineChart#pickWindow} starts at the first iteration with CPU
 * decodes at or after the middle (which only moves later as the run grows), else ends at the last one before the
 * middle, else starts at the middle; so after k iterations no window starts before
 * {@code min(k/2, max(0, L - count + 1))}, L being the last iteration with CPU decodes before k/2 (k/2 if none).
 */
public final class TimelineWindow {
    private final int count;
    private final List<IterationRecord> seen = new ArrayList<>();
    private int scanned;            // iterations below this index were looked at for CPU decodes
    private int lastCpu = -1;       // index of the last of them with CPU decodes

    public TimelineWindow() { this(HtmlReport.TIMELINE_ITERATIONS); }

    TimelineWindow(int count) {
        if (count < 1) throw new IllegalArgumentException("a timeline window holds at least one iteration, got " + count);
        this.count = count;
    }

    /** Takes the record of the iteration that just ended; returns the first iteration the window can still include. */
    public long observe(IterationRecord iteration) {
        seen.add(iteration);
        int half = seen.size() / 2;
        for (; scanned < half; scanned++) if (seen.get(scanned).cpuDecodes() > 0) lastCpu = scanned;
        int from = Math.min(half, Math.max(0, (lastCpu >= 0 ? lastCpu : half) - count + 1));
        return seen.get(from).iteration();
    }

    /** {@code [from, to)}: the window over every iteration observed, as {@link HtmlReport#timelineWindow} picks it. */
    public long[] window() {
        List<Long> w = TimelineChart.pickWindow(seen, count);
        return w.isEmpty() ? new long[] {0, 0} : new long[] {w.get(0), w.get(w.size() - 1) + 1};
    }
}
