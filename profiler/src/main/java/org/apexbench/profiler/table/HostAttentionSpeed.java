package org.apexbench.profiler.table;

import java.util.HashMap;
import java.util.Map;

/**
 * How fast the host's CPU decode attention runs inside real runs against its table, split by what runs beside it: the
 * in-run ratios (a subtask's time over its table's time for the same shape) of the attentions during which the device
 * role ran work ({@value #BESIDE}) and of those during which it ran none ({@value #ALONE}). Kept as sample tables, as
 * the other runtime tables ({@link MeasuredRuntime}), so that a profile without them stays valid and its JSON unchanged.
 *
 * <p>Why: the sweep times the attention one operator at a time, and the contention pair ({@link MeasuredRuntime#CPU_ATTN_SHARED}
 * over {@link MeasuredRuntime#CPU_ATTN_ALONE}) times it beside POST without pause, at another moment than a run's; in NEO
 * two-thread's runs of tiny-llama3 the attention took 1.20 times its table beside the device's work, where the simulator
 * charged 0.83 (its table, the two-thread layer's host noise and the contention pair), and 1.00 in offload's serial layers
 * (docs/validation.md, run 16). These ratios are a component measurement of that contention (the attention's own time in
 * the runs over its own table), not a fit to any end-to-end number.
 *
 * <p>The simulator of a measured machine charges a CPU attention its table times the median alone ratio over the part of
 * it with no device work beside, and times the median beside ratio over the part with device work beside (in place of the
 * contention pair's CPU side); a profile holding only one of the two keeps the earlier model for the other.
 *
 * @param alone  median in-run ratio of the attentions with no device work beside them; NaN when not measured
 * @param beside median in-run ratio of those with device work beside them; NaN when not measured
 */
public record HostAttentionSpeed(double alone, double beside) {
    /** In-run ratios of the CPU attentions with no device work beside them. */
    public static final String ALONE = "runtime.cpuAttnInRun[alone]";
    /** In-run ratios of the CPU attentions with device work beside them. */
    public static final String BESIDE = "runtime.cpuAttnInRun[beside]";

    public HostAttentionSpeed {
        check("alone", alone);
        check("beside", beside);
    }

    private static void check(String field, double v) {
        if (!Double.isNaN(v) && !(v > 0 && v <= Profile.MAX_CELL_SEC)) {
            throw new ProfileException("host attention speed: " + field + " must be in (0, " + Profile.MAX_CELL_SEC + "] or not measured, got " + v);
        }
    }

    /** The speed {@code p} holds; null when it holds neither table (a profile before them: simulated as before). */
    public static HostAttentionSpeed of(Profile p) {
        if (!p.tables().containsKey(ALONE) && !p.tables().containsKey(BESIDE)) return null;
        return new HostAttentionSpeed(median(p, ALONE), median(p, BESIDE));
    }

    private static double median(Profile p, String name) {
        if (!p.tables().containsKey(name)) return Double.NaN;
        if (!(p.table(name) instanceof Table1D t)) throw new ProfileException("profile: table '" + name + "' must be one-dimensional samples");
        return MeasuredRuntime.median(t.seconds());
    }

    /**
     * {@code p} with these in-run ratios of the CPU attention (each array: one ratio a subtask; null or fewer than 2: that
     * side not stored, one subtask is no median); a ratio above {@link Profile#MAX_CELL_SEC} is stored at that bound, as the
     * device tables' in-run ratios are.
     */
    public static Profile with(Profile p, double[] alone, double[] beside) {
        Map<String, ProfileTable> tables = new HashMap<>(p.tables());
        put(tables, ALONE, alone);
        put(tables, BESIDE, beside);
        return new Profile(p.fingerprint(), tables, p.launchSecPerKernel(), p.measuredWith());
    }

    private static void put(Map<String, ProfileTable> tables, String name, double[] ratios) {
        if (ratios == null || ratios.length < 2) return;
        double[] x = new double[ratios.length], v = new double[ratios.length];
        for (int i = 0; i < x.length; i++) {
            if (!(ratios[i] > 0)) throw new IllegalArgumentException("host attention in-run ratio " + (i + 1) + " of '" + name + "' must be > 0, got " + ratios[i]);
            x[i] = i + 1;
            v[i] = Math.min(ratios[i], Profile.MAX_CELL_SEC);
        }
        tables.put(name, new Table1D("sample", x, v));
    }

    /**
     * {@code p}'s tables with the CPU attention's scaled by {@code p}'s alone ratio ({@link #tableScale}): what the simulator
     * of the measured machine charges (the schedulers keep predicting from the sweep's table, as in a real run); {@code p}
     * itself where it holds no alone ratio.
     */
    public static Profile charged(Profile p) {
        HostAttentionSpeed s = of(p);
        if (s == null || !s.aloneMeasured() || !p.tables().containsKey(Profile.CPU_DECODE_ATTN)) return p;
        Map<String, ProfileTable> tables = new HashMap<>(p.tables());
        tables.put(Profile.CPU_DECODE_ATTN, tables.get(Profile.CPU_DECODE_ATTN).scaled(s.alone()));
        return new Profile(p.fingerprint(), tables, p.launchSecPerKernel(), p.measuredWith());
    }

    /** Whether the attentions with no device work beside them were measured. */
    public boolean aloneMeasured() { return !Double.isNaN(alone); }

    /** Whether those with device work beside them were measured. */
    public boolean besideMeasured() { return !Double.isNaN(beside); }

    /**
     * The factor by which the CPU attention's table is scaled for the part of it with no device work beside: the alone
     * ratio, 1 (the table as measured) where not measured.
     */
    public double tableScale() { return aloneMeasured() ? alone : 1; }

    /**
     * How much slower the attention runs over the part of it with device work beside, relative to {@link #tableScale}: the
     * beside ratio over it where measured, else {@code contentionPair} (the earlier model's factor).
     */
    public double besideFactor(double contentionPair) { return besideMeasured() ? beside / tableScale() : contentionPair; }
}
