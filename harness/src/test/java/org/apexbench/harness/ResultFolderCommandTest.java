package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apexbench.reports.Manifest;
import org.apexbench.reports.ResultFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 11: result folders that cannot be silently mixed or stale, and an --out checked before any work. */
class ResultFolderCommandTest {
    @TempDir Path tmp;

    static final String SMALL = RunCommandTest.SMALL;

    private static Cli run(Path out, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", "--engine", "gpu-only", "--requests", SMALL, "--out", out.toString(), "--quiet"));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void aRunFolderHasAManifestOfEveryFile() throws Exception {
        Path out = tmp.resolve("r");
        Cli r = run(out);
        assertEquals(0, r.code(), r.err());
        Manifest m = Manifest.verify(out);
        assertEquals("run", m.kind());
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(files.filter(f -> !f.getFileName().toString().equals(Manifest.FILE)).map(f -> f.getFileName().toString())
                    .sorted().toList(), List.copyOf(m.files().keySet()));
        }
        assertEquals(List.of("gpu-only"), m.engines().stream().map(Manifest.Engine::label).toList());
        assertEquals("gpu-only", m.engines().getFirst().runSpec().get("engine"));
        assertTrue(m.arguments().contains("--engine") && m.arguments().contains(SMALL), m.arguments().toString());
        assertEquals(Files.size(out.resolve("requests.csv")), m.files().get("requests.csv").bytes());
        assertEquals(64, m.files().get("requests.csv").sha256().length());
        try (Stream<Path> siblings = Files.list(tmp)) {
            assertEquals(List.of(".r.lock", "r"), siblings.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no staging folder left behind; the (unlocked) lock file stays");
        }
    }

    /** A rerun into a used --out used to overwrite some files and leave others (an old tokens.jsonl) beside them. */
    @Test
    void aUsedOutIsRefusedAndForceReplacesItWhole() throws Exception {
        Path out = tmp.resolve("r");
        assertEquals(0, run(out).code());
        byte[] before = Files.readAllBytes(out.resolve("summary.json"));
        Files.writeString(out.resolve("tokens.jsonl"), "{\"id\":\"stale\"}\n");
        Cli again = run(out, "--seed", "5");
        assertEquals(1, again.code());
        assertTrue(again.err().contains("--out " + out + ": is not empty") && again.err().contains("--force"), again.err());
        assertArrayEquals(before, Files.readAllBytes(out.resolve("summary.json")), "a refused run changes nothing");
        Cli forced = run(out, "--seed", "5", "--force");
        assertEquals(0, forced.code(), forced.err());
        assertFalse(Files.exists(out.resolve("tokens.jsonl")), "replaced whole, never merged: the stale file is gone");
        Manifest.verify(out);
        assertEquals(5, ((Number) Manifest.verify(out).engines().getFirst().runSpec().get("seed")).intValue());

        // a comparison replaced by a single run leaves no engine folder behind, and report reads the run only
        Path cmp = tmp.resolve("cmp");
        assertEquals(0, Cli.run("compare", "--engines", "gpu-only,apex", "--requests", SMALL, "--out", cmp.toString(), "--quiet").code());
        assertEquals(0, run(cmp, "--force").code());
        assertFalse(Files.exists(cmp.resolve("apex")) || Files.exists(cmp.resolve("comparison.csv")), "no stale comparison files");
        Cli report = Cli.run("report", "--in", cmp.toString());
        assertEquals(0, report.code(), report.err());
        assertTrue(Files.readString(cmp.resolve("report.html")).contains("APEX Bench: gpu-only on"), "the run's report");
    }

    @Test
    void forceNeverDeletesAFolderApexDidNotWrite() throws Exception {
        Path mine = tmp.resolve("mine");
        Files.createDirectories(mine.resolve("sub"));
        Files.writeString(mine.resolve("sub/notes.txt"), "my notes");
        Cli r = run(mine, "--force");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("holds files apex did not write (1 entry: sub/notes.txt)"), r.err());
        assertEquals("my notes", Files.readString(mine.resolve("sub/notes.txt")));
    }

    /** --out '' used to write into the working folder, and an unwritable --out failed only after the simulation. */
    @Test
    void outIsCheckedBeforeAnyWork() throws Exception {
        // The workload spec is invalid too: the --out error comes first, so nothing ran before the check.
        Cli empty = Cli.run("run", "--engine", "gpu-only", "--requests", "poetry:count=3", "--out", "");
        assertEquals(1, empty.code());
        assertTrue(empty.err().contains("--out: the path is empty"), empty.err());
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Cli under = Cli.run("run", "--engine", "gpu-only", "--requests", "poetry:count=3", "--out", file.resolve("sub").toString());
        assertEquals(1, under.code());
        assertTrue(under.err().contains("cannot create its parent folder " + file), under.err());
        Cli isFile = Cli.run("compare", "--requests", "poetry:count=3", "--out", file.toString());
        assertEquals(1, isFile.code());
        assertTrue(isFile.err().contains("--out " + file + ": exists and is not a folder"), isFile.err());
        Cli sweep = Cli.run("sweep", "--rates", "1", "--requests", "poetry:count=3", "--out", "");
        assertTrue(sweep.err().contains("--out: the path is empty"), sweep.err());
        Cli paper = Cli.run("reproduce", "paper", "--out", file.toString());
        assertTrue(paper.err().contains("exists and is not a folder"), paper.err());
    }

    @Test
    void aSecondWriterIsStoppedByTheLock() {
        Path out = tmp.resolve("busy");
        try (ResultFolder first = ResultFolder.create(out, "--out", ResultFolder.Existing.REFUSE)) {
            Cli second = run(out);
            assertEquals(1, second.code());
            assertTrue(second.err().contains("another apex command is writing it"), second.err());
        }
        assertEquals(0, run(out).code(), "free again once the first writer is done");
    }

    /** The built-in default folder (runs/default) is replaced by each default comparison, but only if it holds results. */
    @Test
    void theDefaultFolderIsReplacedWholeWhenItHoldsResults() throws Exception {
        String saved = System.getProperty("apex.root");
        System.setProperty("apex.root", tmp.toString());
        try {
            String[] args = {"compare", "--engines", "gpu-only", "--requests", SMALL, "--quiet"};
            assertEquals(0, Cli.run(args).code());
            Files.writeString(tmp.resolve("runs/default/gpu-only/tokens.jsonl"), "stale\n");
            Cli again = Cli.run(args);
            assertEquals(0, again.code(), again.err());
            assertFalse(Files.exists(tmp.resolve("runs/default/gpu-only/tokens.jsonl")));
            Manifest.verify(tmp.resolve("runs/default"));
            Files.writeString(tmp.resolve("runs/default/notes.txt"), "mine");
            Cli refused = Cli.run(args);
            assertEquals(1, refused.code());
            assertTrue(refused.err().contains("the default folder") && refused.err().contains("notes.txt"), refused.err());
        } finally {
            if (saved == null) System.clearProperty("apex.root");
            else System.setProperty("apex.root", saved);
        }
    }

    /**
     * A comparison stopped by Ctrl-C (SIGINT) used to leave a truncated requests.csv beside complete engines; now it
     * leaves nothing at --out, and while it runs, a second process cannot write there.
     */
    @Test
    void anInterruptedComparisonLeavesNothingAndHoldsTheLockWhileRunning() throws Exception {
        Path out = tmp.resolve("cmp");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-Djava.awt.headless=true", "-cp", System.getProperty("java.class.path"), ApexCli.class.getName(), "compare",
                "--engines", "gpu-only,static-hybrid:neo,apex", "--requests", "long-output:count=3000,rate=1", "--out", out.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (partials().isEmpty() && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(50);
            assertTrue(p.isAlive() && !partials().isEmpty(), "the child started writing: " + Files.readString(tmp.resolve("child.log")));
            Cli second = run(out);
            assertEquals(1, second.code(), second.out() + second.err() + Files.readString(tmp.resolve("child.log")));
            assertTrue(second.err().contains("another apex command is writing it (lock") && second.err().contains("held by process " + p.pid()),
                    second.err());
            // Ctrl-C: SIGINT where `kill` exists (Linux, macOS), else the JDK's SIGTERM; both run the shutdown hooks
            try {
                new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
            } catch (java.io.IOException noKill) {
                p.destroy();
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child stops");
            assertFalse(Files.exists(out), "no partial result folder");
            assertEquals(List.of(), partials(), "the shutdown hook removed the staging folder");
            assertEquals(0, run(out).code(), "the lock died with the process");
        } finally {
            p.destroyForcibly();
        }
    }

    private List<String> partials() throws Exception {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(f -> f.getFileName().toString()).filter(n -> n.startsWith(".cmp.partial-")).toList();
        }
    }
}
