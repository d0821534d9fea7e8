package org.apexbench.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apexbench.reports.JsonFiles;
import org.apexbench.reports.Manifest;
import org.apexbench.reports.ResultFolderException;

/**
 * Compares summary metrics of a run with a baseline, both complete result folders (manifest checked). Numbers are
 * compared only between runs of the same spec: every engine of either side must be on the other, and each engine's
 * run spec must match but for the keys the caller allows to differ. A metric fails when it moved (either way: the
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

    /** Engine label -> its summary.json, in run order, from a complete run or comparison folder (manifest checked). */
    static Map<String, Path> summaries(Path dir, Manifest m) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (Manifest.Engine e : m.engines()) {
            Path summary = dir.resolve(e.folder()).resolve(JsonFiles.SUMMARY).normalize();
            if (!Files.isRegularFile(summary)) {
                throw new ResultFolderException(dir + ": engine " + e.label() + " has no " + e.folder() + "/" + JsonFiles.SUMMARY);
            }
            out.put(e.label(), summary);
        }
        if (out.isEmpty()) throw new ResultFolderException(dir + "/" + Manifest.FILE + " lists no engine");
        return out;
    }

    /** A complete run or comparison folder's manifest. */
    static Manifest manifest(Path dir) {
        Manifest m = Manifest.verify(dir);
        if (!m.kind().equals("run") && !m.kind().equals("comparison")) {
            throw new ResultFolderException(dir + " holds the results of a " + m.kind() + "; regress compares runs and comparisons");
        }
        return m;
    }

    /** What a run and its baseline disagree on: engines are matched by label (a single run with a single run). */
    record Comparison(List<Check> checks, List<String> allowedSpecChanges) {}

    /**
     * Checks {@code run} against {@code baseline}: the same engines on both sides, the same run spec for each (but
     * the keys in {@code allowedSpecChanges}), then every metric within its tolerance.
     */
    static Comparison compare(Path baseline, Path run, Map<String, Double> tolerances, Set<String> allowedSpecChanges) {
        Manifest bm = manifest(baseline), rm = manifest(run);
        Map<String, Path> base = summaries(baseline, bm), now = summaries(run, rm);
        Map<String, String> pairs = new LinkedHashMap<>();   // baseline label -> run label
        if (bm.kind().equals("run") && rm.kind().equals("run")) {
            pairs.put(base.keySet().iterator().next(), now.keySet().iterator().next());
        } else {
            List<String> missing = base.keySet().stream().filter(k -> !now.containsKey(k)).toList();
            List<String> extra = now.keySet().stream().filter(k -> !base.containsKey(k)).toList();
            if (!missing.isEmpty() || !extra.isEmpty()) {
                throw new IllegalArgumentException("baseline " + baseline + " has engines " + base.keySet() + " but run " + run
                        + " has " + now.keySet() + (missing.isEmpty() ? "" : "; missing from the run: " + missing)
                        + (extra.isEmpty() ? "" : "; not in the baseline: " + extra) + ". Every engine is compared: none is skipped");
            }
            base.keySet().forEach(k -> pairs.put(k, k));
        }
        List<String> refused = new ArrayList<>(), allowed = new ArrayList<>();
        Set<String> refusedKeys = new java.util.TreeSet<>();
        Map<String, Map<String, Object>> baseDocs = new LinkedHashMap<>(), runDocs = new LinkedHashMap<>();
        for (var p : pairs.entrySet()) {
            Map<String, Object> b = JsonFiles.read(base.get(p.getKey())), r = JsonFiles.read(now.get(p.getValue()));
            baseDocs.put(p.getKey(), b);
            runDocs.put(p.getKey(), r);
            Map<String, Object> bs = spec(b), rs = spec(r);
            Set<String> keys = new java.util.TreeSet<>(bs.keySet());
            keys.addAll(rs.keySet());
            for (String k : keys) {
                if (k.endsWith("_description") || java.util.Objects.equals(JsonFiles.toCompactJson(bs.get(k)), JsonFiles.toCompactJson(rs.get(k)))) continue;
                String line = "engine " + p.getKey() + ": " + k + " is " + JsonFiles.toCompactJson(bs.get(k)) + " in the baseline, "
                        + JsonFiles.toCompactJson(rs.get(k)) + " in the run";
                if (allowedSpecChanges.contains(k)) {
                    allowed.add(line);
                } else {
                    refused.add(line);
                    refusedKeys.add(k);
                }
            }
        }
        if (!refused.isEmpty()) {
            throw new IllegalArgumentException("the run's spec differs from the baseline's, so its numbers are not comparable: "
                    + String.join("; ", refused) + ". If these differences are intended, say so with --allow-spec-change "
                    + String.join(",", refusedKeys));
        }
        List<Check> checks = new ArrayList<>();
        for (String engine : pairs.keySet()) {
            Map<String, Object> b = baseDocs.get(engine), r = runDocs.get(engine);
            try {
                checks.addAll(checks(pairs.size() == 1 && bm.kind().equals("run") ? "" : engine, b, r, tolerances));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(base.get(engine) + ": " + e.getMessage(), e);
            }
        }
        return new Comparison(checks, allowed);
    }

    /** What defined a run, as regress compares it: summary.json's run_spec plus the SLOs goodput was computed with. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> spec(Map<String, Object> summary) {
        Map<String, Object> s = new TreeMap<>(summary.get("run_spec") instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of());
        for (String k : List.of("slo_ttft_ms", "slo_tpot_ms", "slo_e2el_ms")) s.put(k, summary.get(k));
        return s;
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
            if (!(pct >= 0) || Double.isInfinite(pct)) {
                throw new IllegalArgumentException("--tolerance " + kv[0] + ": must be a finite percentage >= 0, got " + pct);
            }
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
