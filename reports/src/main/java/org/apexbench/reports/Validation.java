package org.apexbench.reports;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.metrics.Summary;

/**
 * One engine's simulated run against its real run of the same workload, budgets and seed (docs/validation.md): each
 * metric of both runs and the simulator's relative error {@code sim / real - 1}.
 *
 * @param model            the model's name
 * @param engine           the engine's label
 * @param real             the real run's metrics
 * @param sim              the simulated run's metrics
 * @param strategyDistance total variation distance between the two runs' strategy mixes (share of iterations per
 *                         strategy): 0 = the same mix, 1 = disjoint
 */
public record Validation(String model, String engine, Metrics real, Metrics sim, double strategyDistance) {
    /** The compared metrics of one run. */
    public record Metrics(int completed, int iterations, double outputThroughput, double medianTpotMs, double p99TpotMs,
                          double medianTtftMs, double gpuBusySec, double cpuBusySec, double unaccountedSec,
                          Map<String, Double> strategyMix) {
        public Metrics {
            strategyMix = Map.copyOf(strategyMix);
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
                    summary.ttft().medianMs(), gpu, cpu, unaccounted, mix);
        }
    }

    /** The comparison of a real and a simulated run of engine {@code engine} on model {@code model}. */
    public static Validation of(String model, String engine, Metrics real, Metrics sim) {
        TreeSet<String> strategies = new TreeSet<>(real.strategyMix().keySet());
        strategies.addAll(sim.strategyMix().keySet());
        double tv = 0;
        for (String s : strategies) tv += Math.abs(real.strategyMix().getOrDefault(s, 0.0) - sim.strategyMix().getOrDefault(s, 0.0));
        return new Validation(model, engine, real, sim, tv / 2);
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
