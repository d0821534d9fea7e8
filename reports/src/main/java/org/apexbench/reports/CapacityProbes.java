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
                        double p99TpotMs, int completed, int failed, int requests, int peakConcurrent) {}

    /** The probes, in the order given, into {@code dir}/capacity-probes.csv. */
    public static void write(Path dir, List<Probe> probes) {
        List<List<Object>> rows = new ArrayList<>();
        for (Probe p : probes) {
            CapacityReport.Cell c = p.cell();
            rows.add(List.<Object>of(c.hardware(), c.model(), c.workload(), plain(c.sloTpotMs()), plain(c.sloTtftMs()), p.engine(),
                    String.format(Locale.ROOT, "%.5g", p.rate()), p.search() ? "search" : "check-above", p.met(),
                    String.format(Locale.ROOT, "%.1f", p.p99TtftMs()), String.format(Locale.ROOT, "%.1f", p.p99TpotMs()),
                    p.completed(), p.failed(), p.requests(), p.peakConcurrent()));
        }
        CsvFiles.writeRows(dir.resolve(CSV), List.of("hardware", "model", "workload", "slo_p99_tpot_ms", "slo_p99_ttft_ms", "engine",
                "rate_req_s", "by", "met", "p99_ttft_ms", "p99_tpot_ms", "completed", "failed", "requests", "peak_concurrent"), rows);
    }

    private static String plain(double v) { return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString(); }
}
