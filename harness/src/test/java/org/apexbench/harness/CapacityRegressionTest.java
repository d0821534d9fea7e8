package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apexbench.reports.CapacityReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The capacity matrix's CI regression (docs/capacity.md): a small subset of the grid, {@link #SUBSET}, is run and its
 * capacity.csv compared byte for byte with the committed src/test/resources/capacity/capacity.csv (the simulation is
 * deterministic, so any difference is a change of some engine's capacity, shown row by row); and APEX must be at least
 * every baseline, within the search resolution, in each cell listed in src/test/resources/capacity/dominance.txt, the
 * cells where that holds today. A change that makes APEX dominate in more cells adds them there. After an intended
 * change of engine behaviour, regenerate the expected matrix with
 * {@code mvn -o -q -pl harness -am test -Dtest=CapacityRegressionTest -Dsurefire.failIfNoSpecifiedTests=false -Dapex.updateCapacity=true}
 * and commit it in its own commit saying why it moved.
 */
class CapacityRegressionTest {
    static final String[] SUBSET = {"--gpus", "t4-g4dn.4xlarge,a10g-g5.8xlarge", "--models", "llama-2-7b,llama-3.1-8b",
            "--workloads", "osc,synth-neo", "--requests", "40", "--min-span-s", "300", "--max-requests", "300", "--seed", "0", "--quiet"};
    static final Path EXPECTED = Path.of("src/test/resources/capacity");

    @TempDir static Path tmp;
    private static Path run;

    @BeforeAll
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    static void runTheSubset() {
        run = tmp.resolve("capacity");
        List<String> args = new ArrayList<>(List.of("reproduce", "capacity", "--out", run.toString()));
        args.addAll(List.of(SUBSET));
        Cli r = Cli.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.out() + r.err());
    }

    @Test
    void theSubsetMatchesTheCommittedMatrix() throws Exception {
        Path expected = EXPECTED.resolve(CapacityReport.CSV);
        if (Boolean.getBoolean("apex.updateCapacity")) Files.copy(run.resolve(CapacityReport.CSV), expected,
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        List<String> want = Files.readAllLines(expected, StandardCharsets.UTF_8), got = Files.readAllLines(run.resolve(CapacityReport.CSV));
        if (want.equals(got)) return;
        Map<String, String> wantBy = byKey(want), gotBy = byKey(got);
        List<String> diff = new ArrayList<>();
        for (String k : new java.util.TreeSet<>(union(wantBy, gotBy))) {
            String w = wantBy.get(k), g = gotBy.get(k);
            if (w == null || !w.equals(g)) diff.add("  " + k + "\n    expected " + w + "\n    now      " + g);
        }
        fail("the capacity matrix moved in " + diff.size() + " rows (if intended, regenerate it: see this class's comment):\n"
                + String.join("\n", diff) + (want.getFirst().equals(got.getFirst()) ? "" : "\n  header: " + want.getFirst()
                + "\n  now:    " + got.getFirst()));
    }

    /** Every cell listed in dominance.txt is a cell of the subset, and APEX is at least every baseline in it. */
    @Test
    void apexDominatesEveryListedCell() throws Exception {
        List<String> listed = Files.readAllLines(EXPECTED.resolve("dominance.txt")).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertTrue(!listed.isEmpty(), "dominance.txt lists no cell");
        Map<String, org.apache.commons.csv.CSVRecord> cells = summary();
        List<String> losses = new ArrayList<>();
        for (String key : listed) {
            var s = cells.get(key);
            if (s == null) fail("dominance.txt lists " + key + ", not a cell of the CI subset: " + cells.keySet());
            if (!Boolean.parseBoolean(s.get("apex_ge_every_baseline"))) {
                losses.add(key + ": " + s.get("apex_engine") + " " + s.get("apex_rate_req_s") + " req/s, " + s.get("best_baseline") + " "
                        + s.get("best_baseline_rate_req_s") + " req/s");
            }
        }
        assertEquals(List.of(), losses, "APEX below the best baseline beyond the search resolution");
    }

    /** capacity-summary.csv's cells by key (hardware/model/workload/tpotMS-ttftMS), skipped pairs left out. */
    private static Map<String, org.apache.commons.csv.CSVRecord> summary() throws Exception {
        Map<String, org.apache.commons.csv.CSVRecord> m = new TreeMap<>();
        try (var reader = Files.newBufferedReader(run.resolve(CapacityReport.SUMMARY_CSV));
             var parser = org.apache.commons.csv.CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(reader)) {
            for (var r : parser) {
                if (r.get("verdict").equals("skipped")) continue;
                m.put(String.join("/", r.get("hardware"), r.get("model"), r.get("workload"),
                        "tpot" + r.get("slo_p99_tpot_ms") + "-ttft" + r.get("slo_p99_ttft_ms")), r);
            }
        }
        return m;
    }

    /** Rows by hardware/model/workload/SLO/engine. */
    private static Map<String, String> byKey(List<String> lines) {
        Map<String, String> m = new TreeMap<>();
        for (String l : lines.subList(1, lines.size())) {
            String[] c = l.split(",", 7);
            m.put(String.join("/", c[0], c[1], c[2], c[3], c[4], c[5]), l);
        }
        return m;
    }

    private static java.util.Set<String> union(Map<String, String> a, Map<String, String> b) {
        java.util.Set<String> s = new java.util.HashSet<>(a.keySet());
        s.addAll(b.keySet());
        return s;
    }
}
