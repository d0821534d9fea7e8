package org.apexbench.profiler.table;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * The runtime's time per iteration outside any subtask (scheduling, batch building, bookkeeping: the device thread's time
 * in neither device work, nor a wait for the host, nor a swap), as a sum of per-unit costs of the iteration's composition,
 * measured in one engine's real runs on the validated workload (`apex validate`'s warm-up runs; docs/validation.md, run
 * 19). Kept in a profile as table {@code runtime.iterationCost[ENGINE]} ({@link #table}): x = a term's code
 * ({@link Term#code}), value = its cost in seconds per unit; only the terms the fit kept, each positive; x = -1 holds the
 * median of every sample the fit took (a reference for readers: the constant a fit without composition terms would come
 * near; the simulator does not read it). A profile without this table (every one before it) charges each iteration the
 * median of the per-iteration calibration samples, as before ({@link MeasuredRuntime#iterationSec}).
 *
 * @param costs     seconds per unit of each kept term (absent: not charged)
 * @param medianSec the median of the samples the fit took
 */
public record IterationCost(Map<Term, Double> costs, double medianSec) {
    /** Prefix of the tables ({@link #table}). */
    public static final String TABLE = "runtime.iterationCost";
    /** The grid point of the samples' median. */
    static final double MEDIAN_X = -1;

    /** What an iteration's outside time may grow with; {@link #code} is its grid point in the profile's table. */
    public enum Term {
        /** Every iteration. */
        ITERATION(0),
        /** Per decode row whose attention runs on the device. */
        GPU_ROW(1),
        /** Per decode row whose attention runs on the host. */
        CPU_ROW(2),
        /** Per iteration with CPU rows (the two-thread runtime wakes the host thread and runs its hand-overs). */
        CPU_ITERATION(3),
        /** Per prompt token of the iteration's prefill chunks. */
        PREFILL_TOKEN(4),
        /** Per iteration with a prefill chunk. */
        PREFILL_ITERATION(5);

        public final int code;

        Term(int code) { this.code = code; }

        /** This term's units in an iteration of this composition. */
        public double units(int gpuRows, int cpuRows, int prefillTokens) {
            return switch (this) {
                case ITERATION -> 1;
                case GPU_ROW -> gpuRows;
                case CPU_ROW -> cpuRows;
                case CPU_ITERATION -> cpuRows > 0 ? 1 : 0;
                case PREFILL_TOKEN -> prefillTokens;
                case PREFILL_ITERATION -> prefillTokens > 0 ? 1 : 0;
            };
        }

        static Term of(double code) {
            for (Term t : values()) if (t.code == code) return t;
            return null;
        }
    }

    public IterationCost {
        if (costs.isEmpty()) throw new IllegalArgumentException("iteration cost: no term");
        // an EnumMap, in term order: the sum of seconds() is then the same sum in every JVM (a simulated run's CSV byte for byte)
        costs = java.util.Collections.unmodifiableMap(new EnumMap<>(costs));
        for (var e : costs.entrySet()) {
            double v = e.getValue();
            if (!(v > 0 && v <= Profile.MAX_CELL_SEC)) {
                throw new IllegalArgumentException("iteration cost: term " + e.getKey() + " must cost (0, " + Profile.MAX_CELL_SEC + "] s, got " + v);
            }
        }
        if (!(medianSec > 0 && medianSec <= Profile.MAX_CELL_SEC)) {
            throw new IllegalArgumentException("iteration cost: median must be in (0, " + Profile.MAX_CELL_SEC + "] s, got " + medianSec);
        }
    }

    /** The table of engine {@code engine}'s cost (its label, as `apex run --engine` takes it). */
    public static String table(String engine) { return TABLE + "[" + engine + "]"; }

    /** Seconds outside any subtask of an iteration of this composition. */
    public double seconds(int gpuRows, int cpuRows, int prefillTokens) {
        double s = 0;
        for (var e : costs.entrySet()) s += e.getValue() * e.getKey().units(gpuRows, cpuRows, prefillTokens);
        return s;
    }

    /** Engine {@code engine}'s cost in {@code p}; null where {@code p} holds none (or {@code engine} is null). */
    public static IterationCost of(Profile p, String engine) {
        if (engine == null || !p.tables().containsKey(table(engine))) return null;
        if (!(p.table(table(engine)) instanceof Table1D t)) {
            throw new ProfileException("profile: table '" + table(engine) + "' must be one-dimensional (x: term code)");
        }
        double[] x = t.x(), v = t.seconds();
        Map<Term, Double> costs = new EnumMap<>(Term.class);
        double median = Double.NaN;
        for (int i = 0; i < x.length; i++) {
            if (x[i] == MEDIAN_X) {
                median = v[i];
                continue;
            }
            Term term = Term.of(x[i]);
            if (term == null) throw new ProfileException("profile: table '" + table(engine) + "': no term has code " + x[i]);
            costs.put(term, v[i]);
        }
        if (Double.isNaN(median)) throw new ProfileException("profile: table '" + table(engine) + "': no median (x = -1)");
        if (costs.isEmpty()) throw new ProfileException("profile: table '" + table(engine) + "': no term");
        return new IterationCost(costs, median);
    }

    /** {@code p} with {@code cost} stored as engine {@code engine}'s ({@link #table}). */
    public static Profile with(Profile p, String engine, IterationCost cost) {
        double[] x = new double[cost.costs().size() + 1], v = new double[x.length];
        x[0] = MEDIAN_X;
        v[0] = cost.medianSec();
        int i = 1;
        for (Term t : Term.values()) {
            Double c = cost.costs().get(t);
            if (c == null) continue;
            x[i] = t.code;
            v[i++] = c;
        }
        Map<String, ProfileTable> tables = new HashMap<>(p.tables());
        tables.put(table(engine), new Table1D("term", x, v));
        return new Profile(p.fingerprint(), tables, p.launchSecPerKernel(), p.measuredWith());
    }

    /** {@code p} without any engine's cost ({@link #table}): its simulation as before them. */
    public static Profile without(Profile p) {
        Map<String, ProfileTable> tables = new HashMap<>(p.tables());
        if (!tables.keySet().removeIf(k -> k.startsWith(TABLE + "["))) return p;
        return new Profile(p.fingerprint(), tables, p.launchSecPerKernel(), p.measuredWith());
    }
}
