package org.apexbench.reports;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.metrics.VllmRequest;

/**
 * Where a run's time goes, per kind of iteration, for setting a real run beside its simulation ({@code apex validate}'s
 * {@value #FILE} and {@value #TPOT_FILE} in each model's folder; docs/validation.md). Iterations are grouped by strategy,
 * whether they carry a prefill chunk, and their decode rows (GPU and CPU); per group the mean iteration's wall time split
 * into device busy time, the device's wait for the host role (stall: the host's attention not hidden behind device work,
 * hand-overs included) and the time outside both (scheduling, batch building, bookkeeping), and the group's share of the
 * time between tokens. Requests are split by whether they were preempted: where about half of a workload's requests are,
 * the median TPOT lies between the two groups and is set by the slowest request of one and the fastest of the other.
 */
public final class IterationBreakdown {
    /** The per-iteration breakdown of every run of a model's validation. */
    public static final String FILE = "breakdown.csv";
    /** Each run's requests split by preemption, with their TPOT. */
    public static final String TPOT_FILE = "tpot.csv";

    public static final List<String> COLUMNS = List.of("engine", "side", "run", "strategy", "prefill", "decode_rows", "iterations",
            "wall_ms", "median_wall_ms", "device_busy_ms", "host_wait_ms", "outside_ms", "cpu_busy_ms", "total_s", "between_tokens_ms");
    public static final List<String> TPOT_COLUMNS = List.of("engine", "side", "run", "preempted", "requests", "median_tpot_ms",
            "mean_tpot_ms", "min_tpot_ms", "max_tpot_ms", "run_median_tpot_ms");

    /**
     * One group of a run's iterations; times are the mean per iteration (ms), but {@code totalSec} (their sum) and
     * {@code betweenTokensMs}: the group's iterations' wall times weighted by their decode rows, over the run's decode rows
     * (the groups of a run sum to the mean time between a decode row's tokens, the quantity TPOT averages per request).
     */
    public record Group(String engine, String side, int run, String strategy, boolean prefill, int decodeRows, int iterations,
                        double wallMs, double medianWallMs, double deviceBusyMs, double hostWaitMs, double outsideMs, double cpuBusyMs,
                        double totalSec, double betweenTokensMs) {}

    /** A run's requests of one preemption class ({@code preempted}: at least once) and their TPOT (ms). */
    public record TpotGroup(String engine, String side, int run, boolean preempted, int requests, double medianMs, double meanMs,
                            double minMs, double maxMs, double runMedianMs) {}

    private IterationBreakdown() { }

    /** The groups of every run of a model's validation, written into its folder when the model is done. */
    public static final class Collector {
        private final List<Group> groups = new ArrayList<>();
        private final List<TpotGroup> tpot = new ArrayList<>();

        /** Adds run {@code run} of {@code engine} on side {@code side} (real or sim). */
        public void add(String engine, String side, int run, List<RequestRecord> requests, List<IterationRecord> iterations) {
            groups.addAll(of(engine, side, run, iterations));
            tpot.addAll(IterationBreakdown.tpot(engine, side, run, requests));
        }

        /** Writes {@value #FILE} and {@value #TPOT_FILE} into {@code dir}. */
        public void write(Path dir) {
            IterationBreakdown.write(dir.resolve(FILE), groups);
            writeTpot(dir.resolve(TPOT_FILE), tpot);
        }
    }

    /** The groups of one run's iterations ({@code side}: real or sim; {@code run}: its number among the engine's runs). */
    public static List<Group> of(String engine, String side, int run, List<IterationRecord> iterations) {
        record Key(String strategy, boolean prefill, int decodeRows) {}
        Map<Key, List<IterationRecord>> groups = new TreeMap<>((a, b) -> a.strategy().equals(b.strategy())
                ? a.prefill() != b.prefill() ? Boolean.compare(a.prefill(), b.prefill()) : Integer.compare(a.decodeRows(), b.decodeRows())
                : a.strategy().compareTo(b.strategy()));
        long rows = 0;
        for (IterationRecord it : iterations) {
            int d = it.gpuDecodes() + it.cpuDecodes();
            rows += d;
            groups.computeIfAbsent(new Key(it.strategy(), it.prefillTokens() > 0, d), k -> new ArrayList<>()).add(it);
        }
        List<Group> out = new ArrayList<>();
        for (var e : groups.entrySet()) {
            List<IterationRecord> g = e.getValue();
            double wall = 0, busy = 0, stall = 0, cpu = 0, weighted = 0;
            double[] walls = new double[g.size()];
            for (int i = 0; i < walls.length; i++) {
                IterationRecord it = g.get(i);
                walls[i] = it.durationSec();
                wall += it.durationSec();
                busy += it.gpuBusySec();
                stall += it.gpuStallSec();
                cpu += it.cpuBusySec();
                weighted += it.durationSec() * (it.gpuDecodes() + it.cpuDecodes());
            }
            int n = g.size();
            Key k = e.getKey();
            out.add(new Group(engine, side, run, k.strategy(), k.prefill(), k.decodeRows(), n, 1e3 * wall / n, 1e3 * Medians.of(walls),
                    1e3 * busy / n, 1e3 * stall / n, 1e3 * (wall - busy - stall) / n, 1e3 * cpu / n, wall,
                    rows == 0 ? 0 : 1e3 * weighted / rows));
        }
        return out;
    }

    /** One run's finished requests of more than one token, split into those never preempted and those preempted. */
    public static List<TpotGroup> tpot(String engine, String side, int run, List<RequestRecord> requests) {
        List<Double> never = new ArrayList<>(), preempted = new ArrayList<>(), all = new ArrayList<>();
        for (RequestRecord r : requests) {
            VllmRequest v = VllmRequest.of(r);
            if (!v.success() || v.outputLen() < 2) continue;
            double ms = 1e3 * v.tpot();
            all.add(ms);
            (r.preemptions() > 0 ? preempted : never).add(ms);
        }
        double runMedian = Medians.of(all.stream().mapToDouble(Double::doubleValue).toArray());
        List<TpotGroup> out = new ArrayList<>();
        for (boolean p : new boolean[] {false, true}) {
            double[] v = (p ? preempted : never).stream().mapToDouble(Double::doubleValue).toArray();
            if (v.length == 0) continue;
            out.add(new TpotGroup(engine, side, run, p, v.length, Medians.of(v), Arrays.stream(v).average().orElseThrow(),
                    Arrays.stream(v).min().orElseThrow(), Arrays.stream(v).max().orElseThrow(), runMedian));
        }
        return out;
    }

    public static void write(Path file, List<Group> groups) {
        print(file, COLUMNS, groups.stream().map(g -> List.<Object>of(g.engine(), g.side(), g.run(), g.strategy(), g.prefill(),
                g.decodeRows(), g.iterations(), g.wallMs(), g.medianWallMs(), g.deviceBusyMs(), g.hostWaitMs(), g.outsideMs(),
                g.cpuBusyMs(), g.totalSec(), g.betweenTokensMs())).toList());
    }

    public static void writeTpot(Path file, List<TpotGroup> groups) {
        print(file, TPOT_COLUMNS, groups.stream().map(g -> List.<Object>of(g.engine(), g.side(), g.run(), g.preempted(), g.requests(),
                g.medianMs(), g.meanMs(), g.minMs(), g.maxMs(), g.runMedianMs())).toList());
    }

    private static void print(Path file, List<String> columns, List<List<Object>> rows) {
        CsvFiles.writeRows(file, columns, rows.stream().map(r -> r.stream().<Object>map(RunDirectory::cell).toList()).toList());
    }
}
