package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apexbench.reports.CapacityReport;
import org.apexbench.reports.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `apex reproduce capacity`: a small grid end to end, its determinism across --jobs, and every refusal. */
class CapacityCommandTest {
    @TempDir Path tmp;

    private static final String[] SMALL = {"--gpus", "t4-g4dn.4xlarge", "--models", "llama-2-7b,llama-3.1-8b", "--workloads", "osc",
            "--engines", "gpu-only,apex", "--slos", "200:10000", "--requests", "12", "--min-span-s", "10", "--max-requests", "30"};

    /** The small grid with {@code more} (option, value pairs, or a lone --force) replacing its options of the same name. */
    private Cli capacity(Path out, String... more) {
        java.util.Map<String, String> options = new java.util.LinkedHashMap<>();
        for (int i = 0; i < SMALL.length; i += 2) options.put(SMALL[i], SMALL[i + 1]);
        List<String> flags = new ArrayList<>(List.of("--quiet"));
        for (int i = 0; i < more.length; i++) {
            if (more[i].equals("--force")) flags.add(more[i]);
            else options.put(more[i], more[++i]);
        }
        List<String> args = new ArrayList<>(List.of("reproduce", "capacity", "--out", out.toString()));
        options.forEach((k, v) -> args.addAll(List.of(k, v)));
        args.addAll(flags);
        return Cli.run(args.toArray(String[]::new));
    }

    /**
     * The T4 cannot hold Llama-3.1-8B's weights: that pair is skipped, saying why, and the other still runs. The same
     * grid with one job and with two gives byte-identical files, and the folder is complete.
     */
    @Test
    void aSmallGridIsTheSameForAnyNumberOfJobsAndSaysWhatItSkipped() throws Exception {
        Path one = tmp.resolve("one"), two = tmp.resolve("two");
        Cli a = capacity(one, "--jobs", "1");
        assertEquals(0, a.code(), a.out() + a.err());
        Cli b = capacity(two, "--jobs", "2");
        assertEquals(0, b.code(), b.out() + b.err());
        for (String f : List.of(CapacityReport.CSV, CapacityReport.SUMMARY_CSV, CapacityReport.HTML,
                org.apexbench.reports.CapacityProbes.CSV)) {
            assertArrayEquals(Files.readAllBytes(one.resolve(f)), Files.readAllBytes(two.resolve(f)), f + " depends on --jobs");
        }
        Manifest m = Manifest.verify(one);
        assertEquals("capacity", m.kind());
        List<String> rows = Files.readAllLines(one.resolve(CapacityReport.CSV));
        assertEquals(3, rows.size(), "a header and one row per engine: " + rows);
        assertTrue(rows.get(1).startsWith("t4-g4dn.4xlarge,llama-2-7b,osc,200,10000,gpu-only,"), rows.get(1));
        assertTrue(rows.get(2).startsWith("t4-g4dn.4xlarge,llama-2-7b,osc,200,10000,apex,"), rows.get(2));
        String summary = Files.readString(one.resolve(CapacityReport.SUMMARY_CSV));
        assertTrue(summary.contains("t4-g4dn.4xlarge,llama-3.1-8b,,,,,,,,,,skipped,,") && summary.contains("no KV block fits"), summary);
        assertTrue(a.out().contains("t4-g4dn.4xlarge/llama-2-7b/osc/tpot200-ttft10000"), a.out());
        // each engine sustains some rate in this cell, found to the stated resolution, over a run of max(12, rate x 10 s)
        // requests, at most 30, all of them served (nothing in osc is beyond either engine)
        for (String row : rows.subList(1, rows.size())) {
            String[] c = row.split(",");
            assertFalse(c[6].isEmpty(), "a rate: " + row);
            assertTrue(Double.parseDouble(c[10]) <= 2.0, "resolution within 2%: " + row);
            int requests = Integer.parseInt(c[17]);
            assertEquals(Math.min(30, Math.max(12, (int) Math.ceil(Double.parseDouble(c[6]) * 10 - 1e-9))), requests, row);
            assertEquals(requests, Integer.parseInt(c[13]), "completed: " + row);
            assertEquals("0,0,0", c[14] + "," + c[15] + "," + c[16], "none failed, rejected or removed: " + row);
        }
        assertTrue(Files.readString(one.resolve(CapacityReport.HTML)).contains("APEX / best baseline - 1"));
        Cli again = capacity(two, "--jobs", "2", "--force");
        assertEquals(0, again.code(), "a capacity folder, its probes file included, is apex's to replace: " + again.err());
        // every probe of a row's search and check is one line of capacity-probes.csv; the check's own probes lie above
        // the answer's failing bound, and a row is monotone exactly when none of them met
        List<String> probes = Files.readAllLines(one.resolve(org.apexbench.reports.CapacityProbes.CSV));
        assertEquals("hardware,model,workload,slo_p99_tpot_ms,slo_p99_ttft_ms,engine,rate_req_s,by,met,p99_ttft_ms,p99_tpot_ms,"
                + "completed,failed,requests,peak_concurrent", probes.getFirst());
        for (String row : rows.subList(1, rows.size())) {
            String[] c = row.split(",");
            List<String[]> mine = probes.stream().skip(1).map(l -> l.split(",")).filter(p -> p[5].equals(c[5])).toList();
            assertEquals(Integer.parseInt(c[20]), mine.size(), "probes: " + row);
            assertEquals("6", c[21], "the default check: six grid points above the failing bound: " + row);
            long passesAbove = mine.stream().filter(p -> p[7].equals("check-above") && p[8].equals("true")).count();
            assertEquals(Long.parseLong(c[22]), passesAbove, row);
            assertEquals(Boolean.toString(passesAbove == 0), c[23], row);
            double answer = Double.parseDouble(c[6]);
            mine.stream().filter(p -> p[7].equals("check-above"))
                    .forEach(p -> assertTrue(Double.parseDouble(p[6]) > answer * 1.02, "above the failing bound: " + String.join(",", p)));
        }
    }

    /**
     * On the T4, gpu-only can never hold the longest prompts of the code trace; APEX can. Both engines run the same
     * requests, those both can serve; capacity.csv still counts gpu-only's rejections on the full workload, and the
     * summary says how many drawn requests were removed and whose limit removed them.
     */
    @Test
    void enginesThatRejectDifferentRequestsAreComparedOnTheRequestsAllCanServe() throws Exception {
        Path out = tmp.resolve("code");
        Cli r = capacity(out, "--workloads", "trace-code", "--models", "llama-2-7b", "--requests", "20", "--min-span-s", "0",
                "--max-requests", "20");
        assertEquals(0, r.code(), r.out() + r.err());
        List<String> rows = Files.readAllLines(out.resolve(CapacityReport.CSV));
        String[] gpuOnly = rows.get(1).split(","), apex = rows.get(2).split(",");
        assertEquals("gpu-only", gpuOnly[5]);
        int rejected = Integer.parseInt(gpuOnly[15]), removed = Integer.parseInt(gpuOnly[16]);
        assertTrue(rejected > 0, "gpu-only cannot hold the code trace's longest prompts on a T4: " + rows.get(1));
        assertEquals("0", apex[15], "APEX rejects none: " + rows.get(2));
        assertTrue(removed >= rejected, "at least the full workload's rejections are drawn past: " + rows.get(1));
        assertEquals(gpuOnly[16], apex[16], "one removed count per cell");
        for (String[] row : List.of(gpuOnly, apex)) {
            assertEquals("20", row[13], "every engine completes the 20 requests both can serve: " + String.join(",", row));
            assertEquals("0", row[14], "no failure: " + String.join(",", row));
        }
        String summary = Files.readAllLines(out.resolve(CapacityReport.SUMMARY_CSV)).get(1);
        assertTrue(summary.contains(",false," + removed + ",") || summary.contains(",true," + removed + ","), summary);
        assertTrue(summary.contains("every rate is over the requests all engines can serve: " + removed + " drawn requests removed "
                + "as never servable by some engine (of the full workload, rejected: gpu-only " + rejected + ")"), summary);
    }

    /**
     * Over K draws every engine runs, per draw, the requests every engine of the cell can serve in that draw (seed + k):
     * on the T4 gpu-only cannot hold the longest `chat` prompts, which each seed draws anew, and no run rejects one. The
     * rejections and removals are those of the K single-draw runs summed; the files say K and each draw's verdict.
     */
    @Test
    void eachDrawComparesTheEnginesOnItsOwnServableRequests() throws Exception {
        String[] code = {"--workloads", "chat", "--models", "llama-2-7b", "--requests", "20", "--min-span-s", "0",
                "--max-requests", "20"};
        List<String[]> single = new ArrayList<>();
        for (String seed : List.of("0", "1")) {
            Path out = tmp.resolve("seed" + seed);
            List<String> args = new ArrayList<>(List.of(code));
            args.addAll(List.of("--seed", seed));
            Cli r = capacity(out, args.toArray(String[]::new));
            assertEquals(0, r.code(), r.out() + r.err());
            single.add(Files.readAllLines(out.resolve(CapacityReport.CSV)).get(1).split(","));
        }
        Path two = tmp.resolve("two-draws");
        List<String> args = new ArrayList<>(List.of(code));
        args.addAll(List.of("--draws", "2"));
        Cli r = capacity(two, args.toArray(String[]::new));
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("every answer over 2 draws (seeds 0..1), p99s over their requests pooled"), r.out());
        List<String> rows = Files.readAllLines(two.resolve(CapacityReport.CSV));
        assertTrue(rows.getFirst().endsWith(",highest_met_req_s,draws,draws_met"), rows.getFirst());
        String[] gpuOnly = rows.get(1).split(",");
        assertEquals("gpu-only", gpuOnly[5]);
        assertEquals(Integer.parseInt(single.get(0)[15]) + Integer.parseInt(single.get(1)[15]), Integer.parseInt(gpuOnly[15]),
                "rejections over both draws' full workloads");
        assertEquals(Integer.parseInt(single.get(0)[16]) + Integer.parseInt(single.get(1)[16]), Integer.parseInt(gpuOnly[16]),
                "requests removed from both draws");
        assertTrue(Integer.parseInt(single.get(0)[16]) > 0 && Integer.parseInt(single.get(1)[16]) > 0, "each seed draws prompts "
                + "gpu-only cannot hold: " + String.join(",", single.get(0)) + " / " + String.join(",", single.get(1)));
        for (String row : rows.subList(1, rows.size())) {
            String[] c = row.split(",");
            assertEquals("40", c[17], "two draws of 20 requests: " + row);
            assertEquals("40", c[13], "every request of both draws completed: " + row);
            assertEquals("0", c[14], row);
            assertEquals("2", c[25], row);
            int met = Integer.parseInt(c[26]);
            assertTrue(met >= 0 && met <= 2, row);
        }
        List<String> summary = Files.readAllLines(two.resolve(CapacityReport.SUMMARY_CSV));
        assertTrue(summary.getFirst().endsWith(",note,draws,draw_rule") && summary.get(1).endsWith(",2,pooled"), summary.toString());
        // each probe: the rule's verdict is the pooled p99s' against the SLO pair, beside each draw's own p99s
        List<String> probes = Files.readAllLines(two.resolve(org.apexbench.reports.CapacityProbes.CSV));
        assertTrue(probes.getFirst().endsWith(",draws,draws_met,p99_ttft_ms_per_draw,p99_tpot_ms_per_draw"), probes.getFirst());
        for (String line : probes.subList(1, probes.size())) {
            String[] p = line.split(",");
            boolean pooledMeets = Integer.parseInt(p[12]) == 0 && Double.parseDouble(p[9]) <= 10_000 && Double.parseDouble(p[10]) <= 200;
            assertEquals(Boolean.toString(pooledMeets), p[8], line);
            assertEquals(2, p[17].split(";").length, line);
            assertEquals(2, p[18].split(";").length, line);
        }
        // one draw is today's matrix: no draw columns
        assertFalse(Files.readAllLines(tmp.resolve("seed0").resolve(CapacityReport.CSV)).getFirst().contains("draws"));
        assertFalse(Files.readAllLines(tmp.resolve("seed0").resolve(org.apexbench.reports.CapacityProbes.CSV)).getFirst()
                .contains("draws"));
    }

    @Test
    void unknownNamesAreRefusedNamingTheOptionAndTheKnownValues() {
        Path out = tmp.resolve("x");
        Cli gpu = capacity(out, "--gpus", "v100");
        assertEquals(1, gpu.code());
        assertTrue(gpu.err().contains("--gpus: unknown hardware 'v100'; built-in: [") && gpu.err().contains("l4-g6.4xlarge"), gpu.err());
        Cli model = capacity(out, "--models", "llama-9");
        assertEquals(1, model.code());
        assertTrue(model.err().contains("--models: unknown model 'llama-9'; presets: ["), model.err());
        Cli workload = capacity(out, "--workloads", "osc,poetry");
        assertEquals(1, workload.code());
        assertTrue(workload.err().contains("--workloads: unknown workload 'poetry'; known: [chat, long-output, cot, osc"), workload.err());
        Cli engine = capacity(out, "--engines", "gpu-only,apexx,apex");
        assertEquals(1, engine.code());
        assertTrue(engine.err().contains("apexx"), engine.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void badSlosEnginesJobsAndOptionsOfOtherExperimentsAreRefused() {
        Path out = tmp.resolve("x");
        String[][] cases = {
                {"--slos", "100"}, {"--slos: expected TPOT_MS:TTFT_MS (e.g. 100:10000), got '100'"},
                {"--slos", "fast:10000"}, {"--slos: 'fast:10000': 'fast' is not a number of milliseconds"},
                {"--slos", "0:10000"}, {"--slos: '0:10000': milliseconds must be finite and > 0"},
                {"--engines", "gpu-only,static-hybrid:neo"}, {"one apex engine with at least one baseline"},
                {"--engines", "apex"}, {"one apex engine with at least one baseline"},
                {"--engines", "apex,apex[marginPct=5],gpu-only"}, {"one apex engine with at least one baseline"},
                {"--engines", "gpu-only,apex,openai[url=http://localhost:1]"}, {"is a running server; the capacity matrix is simulated"},
                {"--workloads", "osc,osc"}, {"names the same value twice"},
                {"--jobs", "0"}, {"--jobs must be in [1, 256], got 0"},
                {"--requests", "0"}, {"--count (--requests) must be >= 1, got 0"},
                {"--max-requests", "11"}, {"--max-requests (11) must be at least --requests (12)"},
                {"--min-span-s", "-1"}, {"--min-span-s must be a finite number of seconds >= 0, got -1.0"},
                {"--min-span-s", "Infinity"}, {"--min-span-s must be a finite number of seconds >= 0, got Infinity"},
                {"--check-above", "-1"}, {"--check-above must be >= 0, got -1"},
                {"--draws", "0"}, {"--draws must be >= 1, got 0"},
                {"--draws", "-2"}, {"--draws must be >= 1, got -2"},
                {"--draw-rule", "median"}, {"--draw-rule: expected pooled or majority, got 'median'"},
        };
        for (int i = 0; i < cases.length; i += 2) {
            Cli r = capacity(out, cases[i]);
            assertEquals(1, r.code(), String.join(" ", cases[i]));
            assertTrue(r.err().contains(cases[i + 1][0]), String.join(" ", cases[i]) + ": " + r.err());
        }
        Cli paper = Cli.run("reproduce", "paper", "--gpus", "t4-g4dn.4xlarge", "--out", out.toString());
        assertEquals(1, paper.code());
        assertTrue(paper.err().contains("restrict `reproduce capacity`; paper has a fixed grid"), paper.err());
        Cli neo = Cli.run("reproduce", "neo", "--min-span-s", "60", "--out", out.toString());
        assertEquals(1, neo.code());
        assertTrue(neo.err().contains("--min-span-s, --max-requests, --check-above, --draws and --draw-rule restrict `reproduce "
                + "capacity`; neo has a fixed grid"), neo.err());
        Cli twice = Cli.run("reproduce", "capacity", "--out", out.toString(), "--draws", "3", "--draws", "5", "--quiet");
        assertTrue(twice.code() != 0 && twice.err().contains("--draws") && twice.err().contains("only once"), twice.err());
        Cli rule = Cli.run("reproduce", "capacity", "--out", out.toString(), "--draw-rule", "pooled", "--draw-rule", "majority",
                "--quiet");
        assertTrue(rule.code() != 0 && rule.err().contains("--draw-rule") && rule.err().contains("only once"), rule.err());
        Cli draws = Cli.run("reproduce", "paper", "--draws", "3", "--out", out.toString());
        assertEquals(1, draws.code());
        assertTrue(draws.err().contains("--draws and --draw-rule restrict `reproduce capacity`; paper has a fixed grid"), draws.err());
        Cli word = capacity(out, "--draws", "three");
        assertTrue(word.code() != 0 && word.err().contains("--draws") && word.err().contains("three"), word.err());
        Cli checkWord = capacity(out, "--check-above", "two");
        assertTrue(checkWord.code() != 0 && checkWord.err().contains("--check-above") && checkWord.err().contains("two"), checkWord.err());
        Cli check = Cli.run("reproduce", "paper", "--check-above", "3", "--out", out.toString());
        assertEquals(1, check.code());
        assertTrue(check.err().contains("--draw-rule restrict `reproduce capacity`; paper has a fixed grid"), check.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void aGridWhereNoModelFitsIsRefused() {
        Path out = tmp.resolve("x");
        Cli r = capacity(out, "--models", "llama-3.1-8b");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no model of --models fits a GPU of --gpus: [t4-g4dn.4xlarge + llama-3.1-8b: ")
                && r.err().contains("no KV block fits in GPU memory"), r.err());
        assertFalse(r.err().contains("Raise --gpu-memory-utilization"), "no advice on options reproduce does not take: " + r.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void outFollowsTheResultFolderRules() throws Exception {
        Path used = tmp.resolve("used");
        Files.createDirectories(used);
        Files.writeString(used.resolve("notes.txt"), "mine");
        Cli busy = capacity(used);
        assertEquals(1, busy.code());
        assertTrue(busy.err().contains("--out " + used + ": is not empty"), busy.err());
        Cli forced = capacity(used, "--force");
        assertEquals(1, forced.code());
        assertTrue(forced.err().contains("holds files apex did not write"), forced.err());
        assertEquals("mine", Files.readString(used.resolve("notes.txt")));
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Cli isFile = capacity(file);
        assertEquals(1, isFile.code());
        assertTrue(isFile.err().contains("exists and is not a folder"), isFile.err());
        Cli empty = Cli.run("reproduce", "capacity", "--out", "", "--quiet");
        assertEquals(1, empty.code());
        assertTrue(empty.err().contains("--out: the path is empty"), empty.err());
    }
}
