package org.apexbench.reports;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;

import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.metrics.Summary;

/**
 * One engine's simulated run against its real runs of the same workload, budgets and seed (docs/validation.md): each
 * metric of the median real run and of the simulated run, the simulator's relative error {@code sim / real - 1}, and
 * the real runs' own spread, which says whether a miss of the target is within the machine's run-to-run variation.
 *
 * @param model            the model's name
 * @param engine           the engine's label
 * @param real             the real runs' medians, metric by metric (the strategy mix: of the run of median throughput)
 * @param sim              the simulated run's metrics
 * @param strategyDistance total variation distance between the median real run's and the simulated run's strategy
 *                         mixes (share of iterations per strategy): 0 = the same mix, 1 = disjoint
 * @param realRuns         every real run, in the order they ran (at least one)
 * @param warmUp           the discarded real runs of the engine before its measured ones ({@link WarmUp#NONE}: none)
 * @param speed            the operator speed the simulation took ({@link OperatorSpeed#NONE}: not recorded)
 * @param ownSpeedSim      where the profile holds the engine's own operator speed: the same simulation at it, a diagnostic
 *                         beside the simulation at the shared speed; null otherwise
 */
public record Validation(String model, String engine, Metrics real, Metrics sim, double strategyDistance, List<Metrics> realRuns,
                         WarmUp warmUp, OperatorSpeed speed, Metrics ownSpeedSim) {
    /**
     * How fast the simulated engine's device operators ran against the profile's tables (docs/validation.md: in-run ratios).
     *
     * @param factors each device table's factor in the engine's simulation: the shared one, every engine's (gpu-only's)
     * @param own     each device table's factor from the engine's own warm-up runs, a diagnostic (empty: none measured)
     */
    public record OperatorSpeed(Map<String, Double> factors, Map<String, Double> own) {
        /** Not recorded. */
        public static final OperatorSpeed NONE = new OperatorSpeed(Map.of(), Map.of());

        public OperatorSpeed {
            factors = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(factors));
            own = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(own));
        }
    }

    /** What a row's comparison concludes (docs/validation.md). */
    public enum Verdict {
        /** Throughput and median TPOT within the target. */
        WITHIN_TARGET,
        /** A miss, but each missed metric's error is within the real runs' own spread around their median: noise. */
        WITHIN_REAL_SPREAD,
        /** A miss larger than the real runs' spread: the model's error. */
        MODEL_ERROR
    }

    /**
     * The discarded real runs of an engine before its measured ones, on the validated workload, so that the JIT has
     * compiled the engine's own paths (host attention, its scheduler) before they are measured.
     *
     * @param runs       how many warm-up runs the engine ran
     * @param iterations their iterations, in total
     * @param seconds    their wall time, in total
     * @param jitMs      the milliseconds the JVM's JIT compilers spent compiling during them (NaN: not measured)
     */
    public record WarmUp(int runs, int iterations, double seconds, double jitMs) {
        /** No warm-up run. */
        public static final WarmUp NONE = new WarmUp(0, 0, 0, Double.NaN);
    }

    public Validation {
        realRuns = List.copyOf(realRuns);
        java.util.Objects.requireNonNull(warmUp, "warmUp");
        java.util.Objects.requireNonNull(speed, "speed");
        if (realRuns.isEmpty()) throw new IllegalArgumentException("validation of " + model + " " + engine + ": no real run");
    }

    /**
     * The compared metrics of one run; {@code durationSec}: the run's duration, to the last request's return (a real run
     * shorter than the machine's slow stretches does not repeat: docs/validation.md, run 10); {@code loadAverage}: the
     * machine's 1-minute load average when the run started, {@code jitMs}: the milliseconds the JVM's JIT compilers spent
     * compiling during the run (both NaN: not read, as for a simulated run).
     */
    public record Metrics(int completed, int iterations, double outputThroughput, double medianTpotMs, double p99TpotMs,
                          double medianTtftMs, double gpuBusySec, double cpuBusySec, double unaccountedSec, double durationSec,
                          Map<String, Double> strategyMix, double loadAverage, double jitMs) {
        public Metrics {
            strategyMix = Map.copyOf(strategyMix);
        }

        /** These metrics of a run that started at load average {@code load} and in which the JIT compiled for {@code jit} ms. */
        public Metrics withConditions(double load, double jit) {
            return new Metrics(completed, iterations, outputThroughput, medianTpotMs, p99TpotMs, medianTtftMs, gpuBusySec, cpuBusySec,
                    unaccountedSec, durationSec, strategyMix, load, jit);
        }

        /**
         * @param summary    the run's summary
         * @param iterations its iteration records: busy times, strategy mix, and the device's unaccounted time (each
         *                   iteration's duration less its device busy and stall time: scheduling, hand-overs and
         *                   bookkeeping of the runtime)
         */
        public static Metrics of(Summary summary, List<IterationRecord> iterations) {
            double gpu = 0, cpu = 0, unaccounted = 0;
            Map<String, Double> mix = new TreeMap<>();
            for (IterationRecord it : iterations) {
                gpu += it.gpuBusySec();
                cpu += it.cpuBusySec();
                unaccounted += Math.max(0, it.durationSec() - it.gpuBusySec() - it.gpuStallSec());
                mix.merge(it.strategy(), 1.0, Double::sum);
            }
            int n = iterations.size();
            mix.replaceAll((k, v) -> v / Math.max(1, n));
            return new Metrics(summary.completed(), n, summary.outputThroughput(), summary.tpot().medianMs(), summary.tpot().p99Ms(),
                    summary.ttft().medianMs(), gpu, cpu, unaccounted, summary.durationSec(), mix, Double.NaN, Double.NaN);
        }
    }

    /** The comparison of a real and a simulated run of engine {@code engine} on model {@code model}. */
    public static Validation of(String model, String engine, Metrics real, Metrics sim) {
        return of(model, engine, List.of(real), sim);
    }

    /** The comparison of the median of real runs {@code realRuns} (at least one) with a simulated run. */
    public static Validation of(String model, String engine, List<Metrics> realRuns, Metrics sim) {
        Metrics real = median(realRuns);
        return new Validation(model, engine, real, sim, distance(real, sim), realRuns, WarmUp.NONE, OperatorSpeed.NONE, null);
    }

    /** This comparison, its engine's real runs preceded by the warm-up {@code w}. */
    public Validation withWarmUp(WarmUp w) {
        return new Validation(model, engine, real, sim, strategyDistance, realRuns, w, speed, ownSpeedSim);
    }

    /**
     * This comparison, its simulation at operator speed {@code s}; {@code atOwn}: the same simulation at the engine's own
     * speed where {@code s} holds one (null: none).
     */
    public Validation withSpeed(OperatorSpeed s, Metrics atOwn) {
        return new Validation(model, engine, real, sim, strategyDistance, realRuns, warmUp, s, atOwn);
    }

    /** The throughput error of the simulation at the engine's own operator speed; NaN where there is none. */
    public double ownSpeedThroughputError() {
        return ownSpeedSim == null ? Double.NaN : error(real.outputThroughput(), ownSpeedSim.outputThroughput());
    }

    /** The median TPOT error of the simulation at the engine's own operator speed; NaN where there is none. */
    public double ownSpeedMedianTpotError() {
        return ownSpeedSim == null ? Double.NaN : error(real.medianTpotMs(), ownSpeedSim.medianTpotMs());
    }

    /**
     * Metric by metric the median of {@code runs} (of an even count: the mean of the middle two); the strategy mix of
     * the run of median throughput (the lower middle one of an even count).
     */
    public static Metrics median(List<Metrics> runs) {
        if (runs.isEmpty()) throw new IllegalArgumentException("median of no runs");
        Metrics mid = runs.stream().sorted(Comparator.comparingDouble(Metrics::outputThroughput)).toList().get((runs.size() - 1) / 2);
        return new Metrics((int) Math.round(median(runs, Metrics::completed)), (int) Math.round(median(runs, Metrics::iterations)),
                median(runs, Metrics::outputThroughput), median(runs, Metrics::medianTpotMs), median(runs, Metrics::p99TpotMs),
                median(runs, Metrics::medianTtftMs), median(runs, Metrics::gpuBusySec), median(runs, Metrics::cpuBusySec),
                median(runs, Metrics::unaccountedSec), median(runs, Metrics::durationSec), mid.strategyMix(),
                median(runs, Metrics::loadAverage), median(runs, Metrics::jitMs));
    }

    private static double median(List<Metrics> runs, ToDoubleFunction<Metrics> metric) {
        return Medians.of(runs.stream().mapToDouble(metric).toArray());
    }

    /** The lowest value of {@code metric} over the real runs. */
    public double realMin(ToDoubleFunction<Metrics> metric) { return realRuns.stream().mapToDouble(metric).min().orElseThrow(); }

    /** The highest value of {@code metric} over the real runs. */
    public double realMax(ToDoubleFunction<Metrics> metric) { return realRuns.stream().mapToDouble(metric).max().orElseThrow(); }

    /**
     * The real runs' spread of {@code metric}: the largest {@code |run / median - 1|} over them (0 for one run; NaN where
     * the median is 0). An error of the simulator up to this size is as large as the real runs' own differences.
     */
    public double realSpread(ToDoubleFunction<Metrics> metric) {
        double m = metric.applyAsDouble(real), worst = 0;
        for (Metrics r : realRuns) worst = Math.max(worst, Math.abs(error(m, metric.applyAsDouble(r))));
        return worst;
    }

    /** Whether throughput and median TPOT meet the target {@code limit}, or each miss is within the real runs' spread. */
    public Verdict verdict(double limit) {
        if (within(limit)) return Verdict.WITHIN_TARGET;
        boolean explained = explained(throughputError(), limit, realSpread(Metrics::outputThroughput))
                && explained(medianTpotError(), limit, realSpread(Metrics::medianTpotMs));
        return explained ? Verdict.WITHIN_REAL_SPREAD : Verdict.MODEL_ERROR;
    }

    private static boolean explained(double error, double limit, double spread) {
        return Math.abs(error) <= limit || Math.abs(error) <= spread;
    }

    private static double distance(Metrics real, Metrics sim) {
        TreeSet<String> strategies = new TreeSet<>(real.strategyMix().keySet());
        strategies.addAll(sim.strategyMix().keySet());
        double tv = 0;
        for (String s : strategies) tv += Math.abs(real.strategyMix().getOrDefault(s, 0.0) - sim.strategyMix().getOrDefault(s, 0.0));
        return tv / 2;
    }

    /** {@code sim / real - 1}; NaN where the real value is 0 or either is not a number. */
    public static double error(double real, double sim) {
        if (!(real != 0) || Double.isNaN(real) || Double.isNaN(sim)) return Double.NaN;
        return sim / real - 1;
    }

    public double throughputError() { return error(real.outputThroughput(), sim.outputThroughput()); }

    public double medianTpotError() { return error(real.medianTpotMs(), sim.medianTpotMs()); }

    public double p99TpotError() { return error(real.p99TpotMs(), sim.p99TpotMs()); }

    public double medianTtftError() { return error(real.medianTtftMs(), sim.medianTtftMs()); }

    public double gpuBusyError() { return error(real.gpuBusySec(), sim.gpuBusySec()); }

    public double cpuBusyError() { return error(real.cpuBusySec(), sim.cpuBusySec()); }

    /** Whether throughput and median TPOT are both within {@code limit} (e.g. 0.10) of the real run. */
    public boolean within(double limit) {
        return Math.abs(throughputError()) <= limit && Math.abs(medianTpotError()) <= limit;
    }
}
