package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProfileAndReproduceTest {
    @TempDir Path tmp;

    @Test
    void aSimProfileDrivesARunAndIsRefusedForOtherHardware() throws Exception {
        Path profile = tmp.resolve("t4.json");
        Cli p = Cli.run("profile", "--backend", "sim", "--model", "llama-2-7b", "--hardware", "t4-g4dn.4xlarge",
                "--out", profile.toString());
        assertEquals(0, p.code(), p.err());
        assertTrue(Files.size(profile) > 0);
        Cli r = Cli.run("run", "--engine", "gpu-only", "--requests", RunCommandTest.SMALL, "--profile", profile.toString(),
                "--out", tmp.resolve("run").toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        Cli wrong = Cli.run("run", "--engine", "gpu-only", "--hardware", "a10g-g5.8xlarge", "--requests", RunCommandTest.SMALL,
                "--profile", profile.toString(), "--out", tmp.resolve("run2").toString(), "--quiet");
        assertEquals(1, wrong.code());
        assertTrue(wrong.err().contains("measured on a different setup") && wrong.err().contains("a10g-g5.8xlarge"), wrong.err());
        Cli other = Cli.run("profile", "--backend", "tpu", "--out", profile.toString());
        assertEquals(1, other.code());
        assertTrue(other.err().contains("expected sim, cpu or cuda, got 'tpu'"), other.err());
    }

    /** A cpu profile of the fixture model drives a real run with the same setup and is refused for another. */
    @Test
    void aCpuProfileDrivesARealRunAndIsRefusedForAnotherSetup() throws Exception {
        String model = RealEngineRuns.tinyLlama3().toString();
        Path profile = tmp.resolve("cpu.json");
        String[] setup = {"--model", model, "--max-running", "16", "--max-tokens", "96", "--gpu-kv-blocks", "8",
                "--host-kv-blocks", "64", "--threads", "1", "--kv-dtype", "f16"};
        Cli p = Cli.run(concat(new String[] {"profile", "--backend", "cpu", "--out", profile.toString()}, setup));
        assertEquals(0, p.code(), p.err());
        var written = org.apexbench.profiler.table.Profile.load(profile);
        assertEquals("cpu", written.fingerprint().backend());
        assertTrue(written.tables().size() >= 8, "tables: " + written.tables().keySet());
        String[] run = {"run", "--engine", "apex", "--backend", "cpu", "--requests", "synthetic:count=4,input=20,output=6",
                "--profile", profile.toString(), "--quiet"};
        Cli ok = Cli.run(concat(concat(run, setup), new String[] {"--out", tmp.resolve("ok").toString()}));
        assertEquals(0, ok.code(), ok.err());
        String[] otherKv = setup.clone();
        otherKv[otherKv.length - 1] = "f32";
        Cli wrong = Cli.run(concat(concat(run, otherKv), new String[] {"--out", tmp.resolve("wrong").toString()}));
        assertEquals(1, wrong.code());
        assertTrue(wrong.err().contains("measured on a different setup") && wrong.err().contains("kvDtype"), wrong.err());
        Cli bad = Cli.run("profile", "--backend", "cpu", "--model", model, "--gpu-kv-blocks", "0", "--out", profile.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--gpu-kv-blocks"), bad.err());
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void paperGridWritesMarkdownAndCsv() throws Exception {
        Cli r = Cli.run("reproduce", "paper", "--count", "3", "--engines", "gpu-only,static-hybrid:fastdecode",
                "--out", tmp.toString(), "--quiet");
        // a T4's GPU KV pool by vLLM's rule (143 blocks, 2,288 tokens) cannot hold a long-output request (up to 3,148
        // tokens): gpu-only rejects those requests on their own and the cell is a result with its failed count
        assertEquals(0, r.code(), r.out() + r.err());
        String md = Files.readString(tmp.resolve("paper.md"));
        java.util.regex.Matcher gpuOnlyCell = java.util.regex.Pattern.compile("\\| t4-g4dn.4xlarge \\+ llama-2-7b \\| long-output \\| gpu-only \\| (\\d+) \\|")
                .matcher(md);
        assertTrue(gpuOnlyCell.find(), md);
        int failed = Integer.parseInt(gpuOnlyCell.group(1));
        assertTrue(failed > 0 && failed <= 3, md);
        assertTrue(md.contains("| t4-g4dn.4xlarge + llama-2-7b | long-output | static-hybrid:fastdecode | 0 |"), md);
        List<String> csv = Files.readAllLines(tmp.resolve("paper.csv"));
        String row = "t4-g4dn.4xlarge + llama-2-7b,long-output,gpu-only," + (3 - failed) + "," + failed + ",";
        assertTrue(csv.stream().anyMatch(l -> l.startsWith(row)), row + " missing: " + csv);
        assertTrue(md.contains("| t4-g4dn.4xlarge + llama-2-7b | cot | gpu-only |"), md);
        assertTrue(md.contains("| a10g-g5.8xlarge + llama-3.1-8b | long-output | static-hybrid:fastdecode |"), md);
        assertEquals(1 + 2 * 3 * 2, Files.readAllLines(tmp.resolve("paper.csv")).size());
        assertTrue(Files.isRegularFile(tmp.resolve("t4-g4dn.4xlarge_llama-2-7b_chat/report.html")));
        // each cell is a comparison folder of its own; rebuilding its report keeps the cell and the grid complete
        Path cell = tmp.resolve("t4-g4dn.4xlarge_llama-2-7b_chat");
        org.apexbench.reports.Manifest.verify(cell);
        Cli report = Cli.run("report", "--in", cell.toString());
        assertEquals(0, report.code(), report.err());
        org.apexbench.reports.Manifest.verify(cell);
        org.apexbench.reports.Manifest.verify(tmp);
        Cli bad = Cli.run("reproduce", "figure-9", "--out", tmp.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("unknown experiment 'figure-9'; known: paper"), bad.err());
    }
}
