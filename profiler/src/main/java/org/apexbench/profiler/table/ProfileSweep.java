package org.apexbench.profiler.table;

import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.SubtaskTimer;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.LongFunction;

/**
 * Builds a {@link Profile} by measuring a {@link SubtaskTimer} on a {@link SweepGrid}: each point
 * is called {@code warmup} times untimed, then {@code repeats} times, and the median is kept. The
 * timer is the simulator's cost model (in sim, so schedulers see the simulated hardware the way
 * they would see a real one) or a real backend.
 *
 * <p>Decode-attention cells where the context is smaller than the request count are measured at
 * one token per request (the smallest feasible context), so the table stays monotone there.
 */
public final class ProfileSweep {
    private ProfileSweep() {}

    public static Profile sweep(SubtaskTimer timer, SweepGrid grid, ProfileFingerprint fingerprint, String measuredWith) {
        Map<String, ProfileTable> tables = new java.util.HashMap<>();
        tables.put(Profile.PRE, oneD("width", grid.widths(), w -> SubtaskFeatures.linear((int) w), Op.PRE, timer, grid));
        tables.put(Profile.POST, oneD("width", grid.widths(), w -> SubtaskFeatures.linear((int) w), Op.POST, timer, grid));
        tables.put(Profile.EMBED, oneD("width", grid.widths(), w -> SubtaskFeatures.linear((int) w), Op.EMBED, timer, grid));
        tables.put(Profile.LM_HEAD, oneD("rows", grid.lmHeadRows(), r -> SubtaskFeatures.linear((int) r), Op.LM_HEAD, timer, grid));
        tables.put(Profile.PREFILL_ATTN, prefill(grid, timer));
        tables.put(Profile.GPU_DECODE_ATTN, twoD(grid.gpuDecodeRequests(), grid.gpuDecodeContexts(), Op.GPU_DECODE_ATTN, timer, grid));
        tables.put(Profile.CPU_DECODE_ATTN, twoD(grid.cpuDecodeRequests(), grid.cpuDecodeContexts(), Op.CPU_DECODE_ATTN, timer, grid));
        tables.put(Profile.H2D, oneD("bytes", grid.copyBytes(), b -> SubtaskFeatures.copy(b, 1), Op.ATTN_OUT_H2D, timer, grid));
        tables.put(Profile.D2H, oneD("bytes", grid.copyBytes(), b -> SubtaskFeatures.copy(b, 1), Op.QKV_D2H, timer, grid));
        double launch = measure(timer, Op.LAUNCH, SubtaskFeatures.launches(1), grid);
        return new Profile(fingerprint, tables, launch, measuredWith);
    }

    private static Table1D oneD(String name, List<? extends Number> points, LongFunction<SubtaskFeatures> features, Op op,
                                SubtaskTimer timer, SweepGrid grid) {
        double[] x = new double[points.size()];
        double[] s = new double[points.size()];
        for (int i = 0; i < x.length; i++) {
            long p = points.get(i).longValue();
            x[i] = p;
            s[i] = measure(timer, op, features.apply(p), grid);
        }
        return new Table1D(name, x, s);
    }

    /** Prefill attention keyed on attended pairs, measured on single prompts of each length. */
    private static Table1D prefill(SweepGrid grid, SubtaskTimer timer) {
        List<Integer> lens = grid.prefillLengths();
        double[] x = new double[lens.size()];
        double[] s = new double[lens.size()];
        for (int i = 0; i < x.length; i++) {
            SubtaskFeatures f = SubtaskFeatures.prefill(lens.get(i));
            x[i] = f.prefillPairs();
            s[i] = measure(timer, Op.PREFILL_ATTN, f, grid);
        }
        return new Table1D("prefillPairs", x, s);
    }

    private static Table2D twoD(List<Integer> requests, List<Long> contexts, Op op, SubtaskTimer timer, SweepGrid grid) {
        double[] x = new double[requests.size()];
        double[] y = new double[contexts.size()];
        double[][] s = new double[x.length][y.length];
        for (int j = 0; j < y.length; j++) {
            y[j] = contexts.get(j);
        }
        for (int i = 0; i < x.length; i++) {
            int r = requests.get(i);
            x[i] = r;
            for (int j = 0; j < y.length; j++) {
                s[i][j] = measure(timer, op, SubtaskFeatures.decode(r, Math.max(contexts.get(j), r)), grid);
            }
        }
        return new Table2D("requests x contextTokens", x, y, s);
    }

    /** Median of {@code repeats} calls after {@code warmup} discarded ones. */
    static double measure(SubtaskTimer timer, Op op, SubtaskFeatures f, SweepGrid grid) {
        for (int i = 0; i < grid.warmup(); i++) {
            timer.seconds(op, f);
        }
        double[] r = new double[grid.repeats()];
        for (int i = 0; i < r.length; i++) {
            r[i] = timer.seconds(op, f);
            if (!(r[i] >= 0) || Double.isInfinite(r[i])) {
                throw new IllegalStateException("timer returned " + r[i] + " s for " + op + " " + f);
            }
        }
        Arrays.sort(r);
        return r.length % 2 == 1 ? r[r.length / 2] : 0.5 * (r[r.length / 2 - 1] + r[r.length / 2]);
    }
}
