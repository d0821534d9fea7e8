package org.apexbench.reports;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apexbench.profiler.IterationRecord;
import org.junit.jupiter.api.Test;

/**
 * The one-pass window: what it lets a run drop as it goes is never in the window picked at the end, and the window
 * is the one picked from all iterations at once (so a run that records through it keeps exactly the same subtasks).
 */
class TimelineWindowTest {
    @Test
    void neverDropsAnIterationOfTheFinalWindowAndPicksTheSameWindow() {
        Random rnd = new Random(12);
        for (int trial = 0; trial < 3000; trial++) {
            int n = 1 + rnd.nextInt(trial < 200 ? 12 : 300);
            int count = 1 + rnd.nextInt(trial % 3 == 0 ? 2 : 40);
            double density = switch (trial % 4) { case 0 -> 0; case 1 -> 0.02; case 2 -> 0.3; default -> 1; };
            boolean early = trial % 5 == 0;   // CPU decodes only in the first tenth: the "before the middle" case
            List<IterationRecord> its = new ArrayList<>();
            long id = rnd.nextInt(5);   // ids need not start at 0
            for (int i = 0; i < n; i++) {
                boolean cpu = rnd.nextDouble() < density && (!early || i < n / 10 + 1);
                its.add(iteration(id++, cpu ? 1 + rnd.nextInt(3) : 0));
            }
            TimelineWindow w = new TimelineWindow(count);
            long[] keepFrom = new long[n];
            for (int i = 0; i < n; i++) keepFrom[i] = w.observe(its.get(i));
            long[] window = w.window();
            List<Long> picked = TimelineChart.pickWindow(its, count);
            assertArrayEquals(new long[] {picked.get(0), picked.get(picked.size() - 1) + 1}, window, "trial " + trial);
            for (int i = 0; i < n; i++) {
                assertTrue(keepFrom[i] <= window[0], "trial " + trial + ": after " + (i + 1) + " iterations it dropped "
                        + "those before " + keepFrom[i] + " but the window starts at " + window[0]);
                if (i > 0) assertTrue(keepFrom[i] >= keepFrom[i - 1], "trial " + trial + ": never moves back");
            }
            // and it does drop: without CPU decodes nothing before the middle is kept
            if (density == 0 && n > 4 * count) assertTrue(keepFrom[n - 1] >= its.get(n / 2 - count).iteration(), "trial " + trial);
        }
    }

    private static IterationRecord iteration(long id, int cpuDecodes) {
        return new IterationRecord(id, id, id + 1, "GPU_ONLY", 0, 1, cpuDecodes, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0);
    }
}
