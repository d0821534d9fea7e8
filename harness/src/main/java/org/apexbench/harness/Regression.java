package org.apexbench.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apexbench.reports.JsonFiles;

/**
 * Compares summary metrics of a run with a baseline. A metric fails when it moved (either way: the
 * runs this guards are deterministic, so an improvement also means the baseline is stale) by more than its
 * tolerance in percent of the baseline value; a count that must not move has tolerance 0. Fractions (keys ending
 * in {@code _fraction}, the strategy mix {@code strategy_fraction_*}) move in percentage points instead, since a
 * relative change of a share near 0 says nothing. A key ending in {@code *} checks every metric with that prefix
 * on either side, a metric absent on one side counting as 0 (the strategy mix lists only strategies that ran).
 */
final class Regression {
    private Regression() {}

    /** Every strategy's share of the iterations (summary.json lists the strategies that ran). */
    static final String STRATEGY_MIX = "strategy_fraction_*";

    /** Checked by default, with their tolerance in percent (percentage points for fractions). */
    static final Map<String, Double> DEFAULT_TOLERANCES;

    static {
        Map<String, Double> t = new LinkedHashMap<>();
        t.put("completed", 0.0);
        t.put("failed", 0.0);
        t.put("total_output_tokens", 0.0);
        for (String k : List.of("request_throughput", "output_throughput", "mean_ttft_ms", "p99_ttft_ms",
                "mean_tpot_ms", "p99_tpot_ms", "mean_itl_ms", "mean_e2el_ms", "p99_e2el_ms")) {
            t.put(k, 2.0);
        }
        // what the hybrid engines decide: preemptions, swaps, stall, the predictor's error, where decodes ran
        for (String k : List.of("preemptions", "swap_in_bytes", "swap_out_bytes", "gpu_stall_ms", "predictor_mape_pct", "iterations")) {
            t.put(k, 2.0);
        }
        t.put("cpu_decode_fraction", 1.0);
        t.put(STRATEGY_MIX, 1.0);
        DEFAULT_TOLERANCES = java.util.Collections.unmodifiableMap(t);
    }

    record Check(String engine, String key, Object baseline, Object run, double changePct, double tolerancePct,
                 boolean passed) {}

    /** Engine name -> summary.json, for a summary file, a run folder, or a folder of run folders. */
    static Map<String, Path> summaries(Path fileOrDir) {
        Map<String, Path> out = new TreeMap<>();
        if (Files.isRegularFile(fileOrDir)) {
            out.put("", fileOrDir);
            return out;
        }
        if (!Files.isDirectory(fileOrDir)) throw new IllegalArgumentException(fileOrDir + " does not exist");
        if (Files.isRegularFile(fileOrDir.resolve(JsonFiles.SUMMARY))) {
            out.put("", fileOrDir.resolve(JsonFiles.SUMMARY));
            return out;
        }
        try (var children = Files.list(fileOrDir)) {
            for (Path c : children.sorted().toList()) {
                if (Files.isRegularFile(c.resolve(JsonFiles.SUMMARY))) out.put(c.getFileName().toString(), c.resolve(JsonFiles.SUMMARY));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + fileOrDir, e);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(fileOrDir + " holds no summary.json (neither directly nor in engine folders)");
        }
        return out;
    }

    static List<Check> compare(Path baseline, Path run, Map<String, Double> tolerances) {
        Map<String, Path> base = summaries(baseline), now = summaries(run);
        if (!base.keySet().equals(now.keySet())) {
            throw new IllegalArgumentException("baseline " + baseline + " has engines " + base.keySet() + " but run " + run
                    + " has " + now.keySet());
        }
        List<Check> checks = new ArrayList<>();
        for (String engine : base.keySet()) {
            Map<String, Object> b = JsonFiles.read(base.get(engine)), r = JsonFiles.read(now.get(engine));
            try {
                checks.addAll(checks(engine, b, r, tolerances));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(base.get(engine) + ": " + e.getMessage(), e);
            }
        }
        return checks;
    }

    /** One engine's checks: every key of {@code tolerances} (a key ending in '*' expands to the metrics it names). */
    static List<Check> checks(String engine, Map<String, Object> b, Map<String, Object> r, Map<String, Double> tolerances) {
        List<Check> checks = new ArrayList<>();
        for (var e : tolerances.entrySet()) {
            String key = e.getKey();
            if (key.endsWith("*")) {
                String prefix = key.substring(0, key.length() - 1);
                java.util.SortedSet<String> keys = new java.util.TreeSet<>();
                for (String k : b.keySet()) if (k.startsWith(prefix)) keys.add(k);
                for (String k : r.keySet()) if (k.startsWith(prefix)) keys.add(k);
                for (String k : keys) checks.add(check(engine, k, b.getOrDefault(k, 0), r.getOrDefault(k, 0), e.getValue()));
                continue;
            }
            if (!b.containsKey(key)) throw new IllegalArgumentException("the baseline has no metric '" + key + "'");
            checks.add(check(engine, key, b.get(key), r.get(key), e.getValue()));
        }
        return checks;
    }

    /** Whether {@code key} is a share in [0, 1], compared in percentage points. */
    static boolean isFraction(String key) { return key.endsWith("_fraction") || key.startsWith("strategy_fraction_"); }

    static Check check(String engine, String key, Object b, Object r, double tol) {
        if (b == null || r == null) {
            boolean same = b == r;
            return new Check(engine, key, b, r, same ? 0 : Double.NaN, tol, same);
        }
        if (!(b instanceof Number bn) || !(r instanceof Number rn)) {
            throw new IllegalArgumentException("metric '" + key + "' is not a number (baseline " + b + ", run " + r + ")");
        }
        double bv = bn.doubleValue(), rv = rn.doubleValue();
        double change = isFraction(key) ? 100 * (rv - bv)
                : bv == 0 ? (rv == 0 ? 0 : Double.POSITIVE_INFINITY) : 100 * (rv - bv) / Math.abs(bv);
        return new Check(engine, key, b, r, change, tol, Math.abs(change) <= tol);
    }

    static Map<String, Double> parseTolerances(String spec) {
        Map<String, Double> t = new LinkedHashMap<>(DEFAULT_TOLERANCES);
        if (spec == null || spec.isBlank()) return t;
        for (String part : spec.split(",")) {
            String[] kv = part.split("=", 2);
            if (kv.length != 2 || kv[0].isBlank()) {
                throw new IllegalArgumentException("--tolerance: expected key=percent[,key=percent...], got '" + part + "'");
            }
            double pct;
            try {
                pct = Double.parseDouble(kv[1].trim().replace("%", ""));
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException("--tolerance " + kv[0] + ": '" + kv[1] + "' is not a percentage");
            }
            if (!(pct >= 0)) throw new IllegalArgumentException("--tolerance " + kv[0] + ": must be >= 0, got " + pct);
            t.put(kv[0].trim(), pct);
        }
        return t;
    }

    static String table(List<Check> checks) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%-18s %-36s %16s %16s %10s %8s  %s%n", "engine", "metric", "baseline", "run",
                "change", "limit", "status"));
        for (Check c : checks) {
            b.append(String.format(Locale.ROOT, "%-18s %-36s %16s %16s %10s %8s  %s%n", c.engine().isEmpty() ? "-" : c.engine(),
                    c.key(), fmt(c.baseline()), fmt(c.run()),
                    Double.isNaN(c.changePct()) ? "n/a" : String.format(Locale.ROOT, "%+.2f%s", c.changePct(), unit(c.key())),
                    String.format(Locale.ROOT, "%.2f%s", c.tolerancePct(), unit(c.key())), c.passed() ? "ok" : "MOVED"));
        }
        return b.toString();
    }

    private static String unit(String key) { return isFraction(key) ? "pp" : "%"; }

    private static String fmt(Object v) {
        if (v == null) return "null";
        if (v instanceof Double d) return String.format(Locale.ROOT, "%.4f", d);
        return String.valueOf(v);
    }
}
