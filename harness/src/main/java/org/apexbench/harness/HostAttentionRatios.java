package org.apexbench.harness;

import java.util.ArrayList;
import java.util.List;

import org.apexbench.profiler.Op;
import org.apexbench.profiler.Resource;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.cost.TableCostModel;
import org.apexbench.profiler.table.HostAttentionSpeed;
import org.apexbench.profiler.table.Profile;

/**
 * The host's CPU attention in real runs against its table, split by what ran beside it ({@link HostAttentionSpeed}): each
 * CPU decode attention subtask's time over its table's time for the same shape (requests, context), in the group of those
 * during which device work (any {@link Resource#GPU} subtask) covered at least {@link #BESIDE_SHARE} of its span, or of
 * those during which it covered at most {@link #ALONE_SHARE}; the few in between are left out (counted), since the
 * simulator charges each part of an attention at its own side's ratio and a mixed one would blur both.
 */
final class HostAttentionRatios {
    /** The least share of an attention's span covered by device work for it to count as beside device work. */
    static final double BESIDE_SHARE = 0.5;
    /** The most share of an attention's span covered by device work for it to count as alone. */
    static final double ALONE_SHARE = 0.1;

    private HostAttentionRatios() { }

    /**
     * A run's (or several runs') host-attention in-run ratios.
     *
     * @param alone   ratios of the attentions with no device work beside them (at most {@link #ALONE_SHARE} of their span)
     * @param beside  ratios of those with device work beside them (at least {@link #BESIDE_SHARE})
     * @param between how many attentions were left out between the two
     */
    record Split(double[] alone, double[] beside, int between) {
        static final Split NONE = new Split(new double[0], new double[0], 0);

        /** This split and {@code o}'s together. */
        Split plus(Split o) {
            return new Split(IterationCalibration.concat(alone, o.alone), IterationCalibration.concat(beside, o.beside), between + o.between);
        }
    }

    /** The split of {@code subtasks} (one run's records, any order) against {@code profile}'s CPU attention table. */
    static Split of(Profile profile, List<SubtaskRecord> subtasks) {
        if (!profile.tables().containsKey(Profile.CPU_DECODE_ATTN)) return Split.NONE;
        double[][] device = merged(subtasks);
        double[] starts = device[0], ends = device[1];
        double[] cumulative = new double[starts.length + 1];   // covered time of the first i merged intervals
        for (int i = 0; i < starts.length; i++) cumulative[i + 1] = cumulative[i] + (ends[i] - starts[i]);
        TableCostModel tables = new TableCostModel(profile);
        List<Double> alone = new ArrayList<>(), beside = new ArrayList<>();
        int between = 0;
        for (SubtaskRecord r : subtasks) {
            if (r.op() != Op.CPU_DECODE_ATTN || r.rows() < 1 || !(r.durationSec() > 0)) continue;
            double t = tables.seconds(Op.CPU_DECODE_ATTN, SubtaskFeatures.decode(r.rows(), Math.max(r.rows(), r.contextTokens())));
            if (!(t > 0)) continue;
            double share = covered(starts, ends, cumulative, r.startSec(), r.endSec()) / r.durationSec();
            if (share >= BESIDE_SHARE) beside.add(r.durationSec() / t);
            else if (share <= ALONE_SHARE) alone.add(r.durationSec() / t);
            else between++;
        }
        return new Split(array(alone), array(beside), between);
    }

    /**
     * The splits of several runs pooled (one a run, in the order they ran): every run's but the first's where there are
     * several, as {@link IterationCalibration#pooled} takes the device tables' ratios (the first run of a warm-up meets the
     * JIT compiling).
     */
    static Split pooled(List<Split> runs) {
        Split out = Split.NONE;
        for (Split s : IterationCalibration.pooledRuns(runs)) out = out.plus(s);
        return out;
    }

    /** The device subtasks' intervals merged into disjoint ones, ascending: {starts, ends}. */
    private static double[][] merged(List<SubtaskRecord> subtasks) {
        List<double[]> iv = new ArrayList<>();
        for (SubtaskRecord r : subtasks) {
            if (r.resource() == Resource.GPU && r.endSec() > r.startSec()) iv.add(new double[] {r.startSec(), r.endSec()});
        }
        iv.sort(java.util.Comparator.comparingDouble(v -> v[0]));
        List<double[]> out = new ArrayList<>();
        for (double[] v : iv) {
            double[] last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && v[0] <= last[1]) last[1] = Math.max(last[1], v[1]);
            else out.add(v.clone());
        }
        double[] s = new double[out.size()], e = new double[out.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = out.get(i)[0];
            e[i] = out.get(i)[1];
        }
        return new double[][] {s, e};
    }

    /** How much of [a, b] the disjoint ascending intervals cover. */
    private static double covered(double[] starts, double[] ends, double[] cumulative, double a, double b) {
        int first = firstEndAfter(ends, a), last = IterationCalibration.firstAtOrAfter(starts, b) - 1;
        if (first > last) return 0;
        double c = cumulative[last + 1] - cumulative[first];
        c -= Math.max(0, a - starts[first]);   // the first interval's part before a
        c -= Math.max(0, ends[last] - b);      // the last interval's part after b
        return Math.max(0, c);
    }

    private static int firstEndAfter(double[] ends, double t) {
        int lo = 0, hi = ends.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (ends[mid] <= t) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    private static double[] array(List<Double> v) { return v.stream().mapToDouble(Double::doubleValue).toArray(); }
}
