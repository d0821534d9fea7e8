package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
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
        Cli cpu = Cli.run("profile", "--backend", "cpu", "--out", profile.toString());
        assertEquals(1, cpu.code());
        assertTrue(cpu.err().contains("--backend cpu"), cpu.err());
    }

    @Test
    void paperGridWritesMarkdownAndCsv() throws Exception {
        Cli r = Cli.run("reproduce", "paper", "--count", "3", "--engines", "gpu-only,static-hybrid:fastdecode",
                "--out", tmp.toString(), "--quiet");
        assertEquals(0, r.code(), r.out() + r.err());
        String md = Files.readString(tmp.resolve("paper.md"));
        assertTrue(md.contains("| t4-g4dn.4xlarge + llama-2-7b | cot | gpu-only |"), md);
        assertTrue(md.contains("| a10g-g5.8xlarge + llama-3.1-8b | long-output | static-hybrid:fastdecode |"), md);
        assertEquals(1 + 2 * 3 * 2, Files.readAllLines(tmp.resolve("paper.csv")).size());
        assertTrue(Files.isRegularFile(tmp.resolve("t4-g4dn.4xlarge_llama-2-7b_chat/report.html")));
        Cli bad = Cli.run("reproduce", "figure-9", "--out", tmp.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("unknown experiment 'figure-9'; known: paper"), bad.err());
    }
}
