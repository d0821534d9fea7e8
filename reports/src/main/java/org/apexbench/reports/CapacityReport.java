package org.apexbench.reports;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * `apex reproduce capacity`'s files: capacity.csv (per cell, SLO pair and engine, the highest request rate meeting the
 * SLOs), capacity-summary.csv (per cell and SLO pair, APEX against the best baseline) and capacity.html (that summary
 * as a heat map of APEX over the best baseline, and every rate).
 */
public final class CapacityReport {
    public static final String CSV = "capacity.csv";
    public static final String SUMMARY_CSV = "capacity-summary.csv";
    public static final String HTML = "capacity.html";

    private CapacityReport() {}

    /** One cell of the grid: hardware, model, workload, and an SLO pair. */
    public record Cell(String hardware, String model, String workload, double sloTpotMs, double sloTtftMs) {
        /** The key a test or a reader names a cell by: {@code hardware/model/workload/tpotMS-ttftMS}. */
        public String key() { return hardware + "/" + model + "/" + workload + "/" + slo(); }

        public String slo() { return "tpot" + plain(sloTpotMs) + "-ttft" + plain(sloTtftMs); }
    }

    /**
     * One engine's search in one cell.
     *
     * @param rate         the highest rate probed that met the SLOs, null when even {@code minRate} missed
     * @param resolution   the search's resolution: the true threshold lies in [rate, rate x resolution)
     * @param saturated    whether {@code maxRate} itself met the SLOs (the engine sustains at least it)
     * @param completed    completed requests at {@code rate} (0 without one)
     * @param failed       failed requests at {@code rate}
     * @param rejected     requests of the full workload (the first N drawn) the engine would reject as never servable;
     *                     the runs are over the requests every engine of the cell can serve, so none of them is in a run
     * @param removed      of the draws for the first N requests every engine can serve, those left out because some
     *                     engine of the cell would reject them (the same in every row of a cell)
     * @param requests     requests of the run at {@code rate} (of the run at {@code minRate} without one)
     * @param peakConcurrent most requests in the system at once at {@code rate} (vLLM's max_concurrent_requests)
     * @param probes       rates run by the search and its monotonicity check
     * @param checkedAbove grid points the check probed above the search's failing bound (rate x resolution)
     * @param passesAbove  of those, how many met the SLOs: pass/fail was not monotone in the rate above the answer
     * @param highestMet   the highest rate probed that met the SLOs (null: none); above {@code rate} only where
     *                     {@code passesAbove} > 0
     * @param draws        independent draws of the workload each probed rate ran (docs/capacity.md, Repeated draws): with
     *                     more than one, the p99s, {@code completed}, {@code failed}, {@code rejected}, {@code removed}
     *                     and {@code requests} are over all draws together and {@code peakConcurrent} is the most of any draw
     * @param drawsMet     of the draws at {@code rate}, how many met the SLOs on their own
     */
    public record Row(Cell cell, String engine, boolean apex, double minRate, double maxRate, double resolution, Double rate,
                      boolean saturated, double p99TtftMs, double p99TpotMs, int completed, int failed, int rejected,
                      int removed, int requests, int peakConcurrent, int probes, int checkedAbove, int passesAbove,
                      Double highestMet, int draws, int drawsMet) {
        /** One draw per rate: {@code drawsMet} is 1 where a rate met. */
        public Row(Cell cell, String engine, boolean apex, double minRate, double maxRate, double resolution, Double rate,
                   boolean saturated, double p99TtftMs, double p99TpotMs, int completed, int failed, int rejected,
                   int removed, int requests, int peakConcurrent, int probes, int checkedAbove, int passesAbove, Double highestMet) {
            this(cell, engine, apex, minRate, maxRate, resolution, rate, saturated, p99TtftMs, p99TpotMs, completed, failed, rejected,
                    removed, requests, peakConcurrent, probes, checkedAbove, passesAbove, highestMet, 1, rate == null ? 0 : 1);
        }

        /** No rate probed above the answer met the SLOs (of the {@code checkedAbove} the check ran). */
        public boolean monotone() { return passesAbove == 0; }

        /**
         * Whether the run at {@code rate} held half or more of its requests at once: the requests arrived faster than
         * they left, so the run measured a burst of that size rather than a steady load at that rate. Over several
         * draws: some draw held half or more of a draw's mean completed requests.
         */
        public boolean burst() { return rate != null && completed > 0 && 2L * peakConcurrent * draws >= completed; }
    }

    /** A (hardware, model) pair left out of the grid, and why. */
    public record Skipped(String hardware, String model, String reason) {}

    /** How APEX fares in one cell. */
    public enum Verdict {
        /** APEX's rate is above the best baseline's by more than the resolution. */
        WINS,
        /** Within the resolution of each other. */
        TIES,
        /** The best baseline's rate is above APEX's by more than the resolution. */
        LOSES,
        /** No engine meets the SLOs at the lowest rate searched. */
        NONE_MEETS;

        public String text() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

        /** APEX is at least every baseline within the resolution. */
        public boolean dominates() { return this != LOSES; }
    }

    /**
     * One cell's comparison: the best baseline (highest rate; the first in engine order on a tie), APEX's rate and the
     * gain APEX / best - 1 (null where a side has no rate); {@code removed} drawn requests were left out of every run
     * because some engine would reject them, {@code rejectedBy} says how many of the full workload each such engine
     * rejects.
     */
    public record Summary(Cell cell, String apexEngine, Double apexRate, String bestBaseline, Double bestRate, Double gain,
                          double resolution, Verdict verdict, int removed, Map<String, Integer> rejectedBy, List<String> bursts,
                          CapacityMonotonicity monotonicity) {
        /**
         * Which requests the rates are over where some were removed (and by which engines' limits), and which of the two
         * answers came from a burst rather than a steady load ({@link Row#burst()}).
         */
        public String note() {
            List<String> notes = new ArrayList<>();
            if (removed > 0) {
                List<String> by = new ArrayList<>();
                rejectedBy.forEach((e, n) -> by.add(e + " " + n));
                notes.add(String.format(Locale.ROOT, "every rate is over the requests all engines can serve: %d drawn requests removed "
                        + "as never servable by some engine (of the full workload, rejected: %s)", removed, String.join(", ", by)));
            }
            if (!bursts.isEmpty()) notes.add("a burst, not a steady load, at the rate of " + String.join(" and ", bursts)
                    + " (half or more of the requests in the system at once): more requests would lower it");
            if (monotonicity.depends()) notes.add(monotonicity.note());
            return String.join("; ", notes);
        }
    }

    /**
     * The summary of every cell of {@code rows}, in row order. APEX is the row marked {@code apex}; a missing rate
     * counts as 0. APEX is "within the resolution" of a baseline when APEX x resolution >= baseline and baseline x
     * resolution >= APEX: the searches' answers are lower bounds, true thresholds are below answer x resolution.
     */
    public static List<Summary> summarize(List<Row> rows) {
        Map<Cell, List<Row>> byCell = new LinkedHashMap<>();
        for (Row r : rows) byCell.computeIfAbsent(r.cell(), k -> new ArrayList<>()).add(r);
        List<Summary> out = new ArrayList<>();
        for (var e : byCell.entrySet()) {
            Row apex = null, best = null;
            double res = 1;
            for (Row r : e.getValue()) {
                res = Math.max(res, r.resolution());
                if (r.apex()) {
                    if (apex != null) throw new IllegalArgumentException(e.getKey().key() + ": two APEX rows: " + apex.engine()
                            + ", " + r.engine());
                    apex = r;
                } else if (best == null || rate(r) > rate(best)) {
                    best = r;
                }
            }
            if (apex == null || best == null) {
                throw new IllegalArgumentException(e.getKey().key() + ": a summary needs one APEX engine and at least one baseline");
            }
            double a = rate(apex), b = rate(best);
            Verdict v = verdict(a, b, res);
            Double gain = a > 0 && b > 0 ? a / b - 1 : null;
            Map<String, Integer> rejectedBy = new LinkedHashMap<>();
            for (Row r : e.getValue()) if (r.rejected() > 0) rejectedBy.put(r.engine(), r.rejected());
            out.add(new Summary(e.getKey(), apex.engine(), apex.rate(), best.rate() == null ? null : best.engine(), best.rate(), gain,
                    res, v, apex.removed(), rejectedBy, java.util.stream.Stream.of(best, apex).filter(Row::burst).map(Row::engine)
                    .toList(), CapacityMonotonicity.of(e.getValue(), res, v)));
        }
        return out;
    }

    /** APEX's rate {@code a} against the best baseline's {@code b} (0: none met), with the search's resolution. */
    static Verdict verdict(double a, double b, double res) {
        // adjacent points of the search's geometric grid are exactly one resolution apart: not "more than" it, so a
        // tie, whatever the last bit of the product says
        double within = res * (1 + RATIO_ULPS);
        return a == 0 && b == 0 ? Verdict.NONE_MEETS : a * within < b ? Verdict.LOSES : b * within < a ? Verdict.WINS : Verdict.TIES;
    }

    /** Relative rounding slack of a rate ratio computed from the search's grid (a few ulps, far below any resolution). */
    static final double RATIO_ULPS = 1e-9;

    private static double rate(Row r) { return r.rate() == null ? 0 : r.rate(); }

    /** capacity.csv, capacity-summary.csv and capacity.html into {@code dir}, each rate from one draw. */
    public static void write(Path dir, List<Row> rows, List<Skipped> skipped, String note) {
        write(dir, rows, skipped, note, "");
    }

    /**
     * The same, where each rate was judged over several draws by the rule {@code drawRule} (its name, written beside the
     * draws): with one draw per rate the files do not name one, and are those of {@link #write(Path, List, List, String)}.
     */
    public static void write(Path dir, List<Row> rows, List<Skipped> skipped, String note, String drawRule) {
        List<Summary> summary = summarize(rows);
        int draws = draws(rows);
        writeRows(dir.resolve(CSV), rows);
        writeSummary(dir.resolve(SUMMARY_CSV), summary, skipped, draws, drawRule);
        writeHtml(dir.resolve(HTML), rows, summary, skipped, note);
    }

    /** The most draws any row's rates ran (1: the files have no draw columns). */
    static int draws(List<Row> rows) { return rows.stream().mapToInt(Row::draws).max().orElse(1); }

    static void writeRows(Path file, List<Row> rows) {
        boolean several = draws(rows) > 1;
        List<String> header = new ArrayList<>(List.of("hardware", "model", "workload",
                "slo_p99_tpot_ms", "slo_p99_ttft_ms", "engine", "max_rate_req_s", "at_least", "min_rate_req_s",
                "search_max_rate_req_s", "resolution_pct", "p99_ttft_ms", "p99_tpot_ms", "completed", "failed",
                "rejected_never_servable", "removed_unservable", "requests", "peak_concurrent", "burst", "probes", "checked_above",
                "passes_above", "monotone", "highest_met_req_s"));
        if (several) header.addAll(List.of("draws", "draws_met"));
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setHeader(header.toArray(String[]::new))
                     .setRecordSeparator("\n").get())) {
            for (Row r : rows) {
                Cell c = r.cell();
                boolean has = r.rate() != null;
                List<Object> v = new ArrayList<>(List.of(c.hardware(), c.model(), c.workload(), plain(c.sloTpotMs()),
                        plain(c.sloTtftMs()), r.engine(), has ? rate(r.rate()) : "", r.saturated(), rate(r.minRate()),
                        rate(r.maxRate()), pct(r.resolution()), has ? ms(r.p99TtftMs()) : "", has ? ms(r.p99TpotMs()) : "",
                        r.completed(), r.failed(), r.rejected(), r.removed(), r.requests(), r.peakConcurrent(), r.burst(), r.probes(),
                        r.checkedAbove(), r.passesAbove(), r.monotone(), r.highestMet() == null ? "" : rate(r.highestMet())));
                if (several) v.addAll(List.of(r.draws(), r.drawsMet()));
                p.printRecord(v);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** With {@code draws} > 1 two columns more say over how many draws, and by which rule, every answer was found. */
    static void writeSummary(Path file, List<Summary> summary, List<Skipped> skipped, int draws, String drawRule) {
        List<String> header = new ArrayList<>(List.of("hardware", "model", "workload",
                "slo_p99_tpot_ms", "slo_p99_ttft_ms", "best_baseline", "best_baseline_rate_req_s", "apex_engine",
                "apex_rate_req_s", "apex_over_best_pct", "resolution_pct", "verdict", "apex_ge_every_baseline", "removed_unservable",
                "non_monotone", "verdict_at_highest_met", "verdict_depends_on_non_monotone", "note"));
        if (draws > 1) header.addAll(List.of("draws", "draw_rule"));
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
             CSVPrinter p = new CSVPrinter(w, CSVFormat.DEFAULT.builder().setHeader(header.toArray(String[]::new))
                     .setRecordSeparator("\n").get())) {
            for (Summary s : summary) {
                Cell c = s.cell();
                List<Object> v = new ArrayList<>(List.of(c.hardware(), c.model(), c.workload(), plain(c.sloTpotMs()), plain(c.sloTtftMs()),
                        s.bestBaseline() == null ? "" : s.bestBaseline(), s.bestRate() == null ? "" : rate(s.bestRate()), s.apexEngine(),
                        s.apexRate() == null ? "" : rate(s.apexRate()), s.gain() == null ? "" : pct(1 + s.gain()), pct(s.resolution()),
                        s.verdict().text(), s.verdict().dominates(), s.removed(), String.join("; ", s.monotonicity().nonMonotone()),
                        s.monotonicity().verdict().text(), s.monotonicity().depends(), s.note()));
                if (draws > 1) v.addAll(List.of(draws, drawRule));
                p.printRecord(v);
            }
            for (Skipped s : skipped) {
                List<Object> v = new ArrayList<>(List.of(s.hardware(), s.model(), "", "", "", "", "", "", "", "", "", "skipped", "", "", "",
                        "", "", s.reason()));
                if (draws > 1) v.addAll(List.of("", ""));
                p.printRecord(v);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void writeHtml(Path file, List<Row> rows, List<Summary> summary, List<Skipped> skipped, String note) {
        StringBuilder h = TextFiles.page("APEX Bench: capacity matrix, APEX over the best baseline at equal latency",
                "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
                        + "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td.l,th.l{text-align:left}"
                        + "td.h{min-width:5em;font-weight:bold}.bad{color:#b00;font-weight:bold}", note);
        long loses = summary.stream().filter(s -> s.verdict() == Verdict.LOSES).count();
        h.append("<p>").append(HtmlReport.esc(String.format(Locale.ROOT, "%d cells: APEX wins %d, ties %d (within the search "
                + "resolution), loses %d; no engine meets the SLOs in %d.", summary.size(), count(summary, Verdict.WINS),
                count(summary, Verdict.TIES), loses, count(summary, Verdict.NONE_MEETS)))).append("</p>\n");
        heatMap(h, summary);
        if (!skipped.isEmpty()) {
            h.append("<h2>Skipped</h2>\n<table><tr><th class=\"l\">hardware</th><th class=\"l\">model</th><th class=\"l\">why</th></tr>\n");
            for (Skipped s : skipped) {
                h.append("<tr><td class=\"l\">").append(HtmlReport.esc(s.hardware())).append("</td><td class=\"l\">")
                        .append(HtmlReport.esc(s.model())).append("</td><td class=\"l\">").append(HtmlReport.esc(s.reason()))
                        .append("</td></tr>\n");
            }
            h.append("</table>\n");
        }
        rates(h, rows);
        TextFiles.writePage(file, h);
    }

    private static long count(List<Summary> s, Verdict v) { return s.stream().filter(x -> x.verdict() == v).count(); }

    /** Rows: hardware + model; columns: workload x SLO; each cell APEX / best baseline - 1, coloured by its value. */
    private static void heatMap(StringBuilder h, List<Summary> summary) {
        Map<String, String> columns = new LinkedHashMap<>();   // workload|slo -> its header
        List<String> lines = new ArrayList<>();
        Map<String, Summary> at = new LinkedHashMap<>();
        for (Summary s : summary) {
            String col = s.cell().workload() + "|" + s.cell().slo(), line = s.cell().hardware() + " + " + s.cell().model();
            columns.putIfAbsent(col, HtmlReport.esc(s.cell().workload()) + "<br>" + HtmlReport.esc(s.cell().slo()));
            if (!lines.contains(line)) lines.add(line);
            at.put(line + "|" + col, s);
        }
        h.append("<h2>APEX / best baseline - 1</h2>\n<p>Green: APEX ahead, red: behind by more than the search resolution, "
                + "white: within it; the best baseline and both rates are in the cell's tooltip and in the table below. *: requests some engine "
                + "cannot serve were removed from every engine's runs (all rates are over the same requests), or a rate "
                + "came from a burst rather than a steady load (see the note in capacity-summary.csv).</p>\n"
                + "<table><tr><th class=\"l\">hardware + model</th>");
        for (String header : columns.values()) h.append("<th>").append(header).append("</th>");
        h.append("</tr>\n");
        for (String line : lines) {
            h.append("<tr><td class=\"l\">").append(HtmlReport.esc(line)).append("</td>");
            for (String c : columns.keySet()) {
                Summary s = at.get(line + "|" + c);
                if (s == null) {
                    h.append("<td></td>");
                    continue;
                }
                String tip = String.format(Locale.ROOT, "%s: %s req/s; best baseline %s: %s req/s%s", s.apexEngine(),
                        s.apexRate() == null ? "none" : rate(s.apexRate()), s.bestBaseline() == null ? "none" : s.bestBaseline(),
                        s.bestRate() == null ? "none" : rate(s.bestRate()), s.note().isEmpty() ? "" : "; " + s.note());
                String text = s.verdict() == Verdict.NONE_MEETS ? "none meets" : s.gain() == null
                        ? (s.apexRate() == null ? "APEX none" : "baselines none") : String.format(Locale.ROOT, "%+.1f%%", 100 * s.gain());
                h.append("<td class=\"h\" style=\"background:").append(colour(s)).append("\" title=\"").append(HtmlReport.esc(tip))
                        .append("\">").append(HtmlReport.esc(text)).append(s.note().isEmpty() ? "" : "*").append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");
    }

    /** White inside the resolution; green (ahead) or red (behind) deepening to full at 50%. */
    static String colour(Summary s) {
        if (s.verdict() == Verdict.NONE_MEETS) return "#eeeeee";
        if (s.verdict() == Verdict.TIES) return "#ffffff";
        double g = s.gain() == null ? (s.verdict() == Verdict.WINS ? 1 : -1) : s.gain();
        double depth = Math.min(1, Math.abs(g) / 0.5);
        int fade = (int) Math.round(255 - 155 * depth);
        return g > 0 ? String.format(Locale.ROOT, "#%02x%02x%02x", fade, 255 - (int) Math.round(55 * depth), fade)
                : String.format(Locale.ROOT, "#ff%02x%02x", fade, fade);
    }

    /** Every row: one table of rates, failed and rejected counts. */
    private static void rates(StringBuilder h, List<Row> rows) {
        h.append("<h2>Highest rate meeting the SLOs (req/s)</h2>\n<table><tr><th class=\"l\">hardware</th><th class=\"l\">model"
                + "</th><th class=\"l\">workload</th><th class=\"l\">SLO (p99, ms)</th><th class=\"l\">engine</th><th>max rate</th>"
                + "<th>p99 TTFT ms</th><th>p99 TPOT ms</th><th>failed</th><th>never servable (of the full workload)</th></tr>\n");
        for (Row r : rows) {
            Cell c = r.cell();
            h.append("<tr><td class=\"l\">").append(HtmlReport.esc(c.hardware())).append("</td><td class=\"l\">")
                    .append(HtmlReport.esc(c.model())).append("</td><td class=\"l\">").append(HtmlReport.esc(c.workload()))
                    .append("</td><td class=\"l\">").append(HtmlReport.esc(c.slo())).append("</td><td class=\"l\">")
                    .append(HtmlReport.esc(r.engine())).append("</td><td>")
                    .append(r.rate() == null ? "none" : (r.saturated() ? "&ge; " : "") + rate(r.rate())).append("</td><td>")
                    .append(r.rate() == null ? "" : ms(r.p99TtftMs())).append("</td><td>").append(r.rate() == null ? "" : ms(r.p99TpotMs()))
                    .append("</td><td>").append(r.failed()).append("</td><td>").append(r.rejected()).append("</td></tr>\n");
        }
        h.append("</table>\n");
    }

    private static String plain(double v) { return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString(); }

    private static String rate(double v) { return String.format(Locale.ROOT, "%.5g", v); }

    private static String ms(double v) { return String.format(Locale.ROOT, "%.1f", v); }

    private static String pct(double ratio) { return String.format(Locale.ROOT, "%.2f", 100 * (ratio - 1)); }
}
