package org.apexbench.profiler.table;

import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.SubtaskTimer;

import java.util.ArrayList;
import java.util.List;

/**
 * How well a table-based model predicts a timer: mean absolute percentage error on held-out points
 * (points not on the sweep grid: the geometric midpoints between neighbouring grid points).
 */
public final class ProfileValidation {
    private ProfileValidation() {}

    /** MAPE in percent of {@code model} against {@code truth} on {@code points} (points where truth is 0 are skipped). */
    public static double mape(SubtaskTimer truth, SubtaskTimer model, Op op, List<SubtaskFeatures> points) {
        double sum = 0;
        int n = 0;
        for (SubtaskFeatures f : points) {
            double t = truth.seconds(op, f);
            if (t > 0) {
                sum += Math.abs(model.seconds(op, f) - t) / t;
                n++;
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("MAPE of " + op + ": no held-out point with a non-zero true time");
        }
        return 100 * sum / n;
    }

    /** Held-out points for an op: midpoints (geometric, rounded) between neighbouring grid points. */
    public static List<SubtaskFeatures> heldOut(Op op, SweepGrid grid) {
        List<SubtaskFeatures> out = new ArrayList<>();
        switch (op) {
            case PRE, POST, EMBED -> mids(grid.widths()).forEach(w -> out.add(SubtaskFeatures.linear((int) (long) w)));
            case LM_HEAD -> mids(grid.lmHeadRows()).forEach(w -> out.add(SubtaskFeatures.linear((int) (long) w)));
            case PREFILL_ATTN -> mids(grid.prefillLengths()).forEach(l -> out.add(SubtaskFeatures.prefill((int) (long) l)));
            case GPU_DECODE_ATTN -> mids(grid.gpuDecodeRequests()).forEach(r -> mids(grid.gpuDecodeContexts())
                    .forEach(c -> out.add(SubtaskFeatures.decode((int) (long) r, Math.max(c, (long) r)))));
            case CPU_DECODE_ATTN -> mids(grid.cpuDecodeRequests()).forEach(r -> mids(grid.cpuDecodeContexts())
                    .forEach(c -> out.add(SubtaskFeatures.decode((int) (long) r, Math.max(c, (long) r)))));
            case QKV_D2H, ATTN_OUT_H2D, SWAP_IN, SWAP_OUT -> mids(grid.copyBytes()).forEach(b -> out.add(SubtaskFeatures.copy(b, 1)));
            case LAUNCH -> out.add(SubtaskFeatures.launches(3));
        }
        return out;
    }

    private static List<Long> mids(List<? extends Number> grid) {
        List<Long> m = new ArrayList<>();
        for (int i = 1; i < grid.size(); i++) {
            long a = grid.get(i - 1).longValue();
            long b = grid.get(i).longValue();
            long mid = Math.round(Math.sqrt((double) a * b));
            if (mid > a && mid < b) {
                m.add(mid);
            }
        }
        return m;
    }
}
