package org.apexbench.reports;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * capacity-probes.csv: every run of the capacity matrix's searches (the bisection's and its monotonicity check's), so
 * a reader can see the pass/fail sequence behind each answer and judge another answer rule on the same runs.
 */
public final class CapacityProbes {
    public static final String CSV = "capacity-probes.csv";

    private CapacityProbes() {}

    /**
     * One run: the cell and engine, its rate, whether the bisection ran it ({@code search}) or the check above the
     * answer, whether it met the cell's SLO pair, and what it measured.
     */
    public record Probe(CapacityReport.Cell cell, String engine, double rate, boolean search, boolean met, double p99TtftMs,
                        double p99TpotMs, int completed, int failed, int requests, int peakConcurrent, int draws, int drawsMet,
                        List<Double> p99TtftMsPerDraw, List<Double> p99TpotMsPerDraw) {
        /**
         * Over several draws (docs/capacity.md, Repeated draws) {@code met} is the rule's verdict, the p99s,
         * {@code completed}, {@code failed} and {@code requests} are over the draws pooled, {@code peakConcurrent} the most
         * of any draw; {@code drawsMet} of them met the SLOs on their own, with these p99s each.
         */
        public Probe {
            p99TtftMsPerDraw = List.copyOf(p99TtftMsPerDraw);
            p99TpotMsPerDraw = List.copyOf(p99TpotMsPerDraw);
        }

        /** One draw. */
        public Probe(CapacityReport.Cell cell, String engine, double rate, boolean search, boolean met, double p99TtftMs,
                     double p99TpotMs, int completed, int failed, int requests, int peakConcurrent) {
            this(cell, engine, rate, search, met, p99TtftMs, p99TpotMs, completed, failed, requests, peakConcurrent, 1, met ? 1 : 0,
                    List.of(p99TtftMs), List.of(p99TpotMs));
        }
    }

    /**
     * The probes, in the order given, into {@code dir}/capacity-probes.csv; where a probe ran several draws, four columns
     * more: the draws, how many met on their own, and each draw's p99 TTFT and TPOT (separated by ';').
     */
    public static void write(Path dir, List<Probe> probes) {
        boolean several = probes.stream().anyMatch(p -> p.draws() > 1);
        List<List<Object>> rows = new ArrayList<>();
        for (Probe p : probes) {
            CapacityReport.Cell c = p.cell();
            List<Object> v = new ArrayList<>(List.<Object>of(c.hardware(), c.model(), c.workload(), plain(c.sloTpotMs()),
                    plain(c.sloTtftMs()), p.engine(), String.format(Locale.ROOT, "%.5g", p.rate()), p.search() ? "search" : "check-above",
                    p.met(), ms(p.p99TtftMs()), ms(p.p99TpotMs()), p.completed(), p.failed(), p.requests(), p.peakConcurrent()));
            if (several) v.addAll(List.of(p.draws(), p.drawsMet(), perDraw(p.p99TtftMsPerDraw()), perDraw(p.p99TpotMsPerDraw())));
            rows.add(v);
        }
        List<String> header = new ArrayList<>(List.of("hardware", "model", "workload", "slo_p99_tpot_ms", "slo_p99_ttft_ms", "engine",
                "rate_req_s", "by", "met", "p99_ttft_ms", "p99_tpot_ms", "completed", "failed", "requests", "peak_concurrent"));
        if (several) header.addAll(List.of("draws", "draws_met", "p99_ttft_ms_per_draw", "p99_tpot_ms_per_draw"));
        CsvFiles.writeRows(dir.resolve(CSV), header, rows);
    }

    private static String ms(double v) { return String.format(Locale.ROOT, "%.1f", v); }

    private static String perDraw(List<Double> ms) { return String.join(";", ms.stream().map(CapacityProbes::ms).toList()); }

    private static String plain(double v) { return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString(); }
}
