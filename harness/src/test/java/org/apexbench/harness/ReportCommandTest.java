package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.metrics.Metrics;
import org.apexbench.profiler.metrics.Slo;
import org.apexbench.reports.HtmlReport;
import org.apexbench.reports.Manifest;
import org.apexbench.reports.ResultFolder;
import org.apexbench.reports.ReportedRun;
import org.apexbench.reports.RunDirectory;
import org.apexbench.reports.RunRecords;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportCommandTest {
    @TempDir Path tmp;

    static ReportedRun tiny(String label) {
        var reqs = List.of(new RequestRecord("a", 0, 10, 3, new double[] {0.1, 0.2, 0.3}, 0, 1, null),
                new RequestRecord("b", 0.05, 12, 2, new double[] {0.2, 0.3}, 0, 0, null));
        var its = List.of(new IterationRecord(0, 0.0, 0.1, "GPU_ONLY", 22, 0, 0, 0.09, 0.1, 0, 0, 0, 0, 0, 0, 2, 0, 2, 0),
                new IterationRecord(1, 0.1, 0.2, "ASYNC_OVERLAP", 0, 1, 1, 0.11, 0.09, 0.05, 0.01, 100, 100, 0, 0, 2, 1, 2, 0),
                new IterationRecord(2, 0.2, 0.3, "ASYNC_OVERLAP", 0, 1, 1, 0.1, 0.09, 0.05, 0.0, 100, 100, 0, 0, 2, 1, 2, 0));
        var subs = List.of(new SubtaskRecord(1, 0, 0, Op.PRE, Op.PRE.resource(), 2, 0, 0, 0.1, 0.12, Double.NaN),
                new SubtaskRecord(1, 0, 0, Op.CPU_DECODE_ATTN, Op.CPU_DECODE_ATTN.resource(), 1, 30, 0, 0.12, 0.15, Double.NaN),
                new SubtaskRecord(1, 0, 0, Op.GPU_DECODE_ATTN, Op.GPU_DECODE_ATTN.resource(), 1, 20, 0, 0.12, 0.14, Double.NaN),
                new SubtaskRecord(1, 0, 0, Op.POST, Op.POST.resource(), 2, 0, 0, 0.15, 0.2, Double.NaN));
        return new ReportedRun(label, Metrics.summarize(reqs, its, Slo.NONE), new RunRecords(reqs, its, subs),
                Map.of("engine", label, "seed", 1),
                new org.apexbench.reports.VllmSetup(label, "tiny-llama3", reqs.size(), Double.POSITIVE_INFINITY, 1.0, null));
    }

    /** A complete result folder of these runs, written as the commands write them (manifest last). */
    static Path complete(Path dir, List<ReportedRun> runs) {
        boolean single = runs.size() == 1;
        try (ResultFolder f = ResultFolder.create(dir, "--out", ResultFolder.Existing.REFUSE)) {
            if (single) RunDirectory.writeRun(f.staging(), runs.getFirst(), true);
            else RunDirectory.writeComparison(f.staging(), HtmlReport.title(runs), runs, false);
            f.commit(single ? "run" : "comparison", List.of(),
                    runs.stream().map(r -> new Manifest.Engine(r.label(), single ? "." : r.slug(), r.runSpec())).toList());
        }
        return dir;
    }

    @Test
    void rebuildsTheReportOfARunAndOfAComparison() throws Exception {
        Path run = complete(tmp.resolve("run"), List.of(tiny("apex")));
        Files.delete(run.resolve(HtmlReport.FILE));
        Cli r = Cli.run("report", "--in", run.toString());
        assertEquals(1, r.code(), "a deleted file is a missing file");
        assertTrue(r.err().contains("report.html is missing"), r.err());
        run = complete(tmp.resolve("run2"), List.of(tiny("apex")));
        r = Cli.run("report", "--in", run.toString());
        assertEquals(0, r.code(), r.err());
        String html = Files.readString(run.resolve(HtmlReport.FILE));
        for (String id : RunCommandTest.reportSections(List.of("apex"))) assertTrue(html.contains("id=\"" + id + "\""), id);
        Manifest.verify(run);   // the rewritten report is recorded: the folder is still complete

        Path cmp = complete(tmp.resolve("cmp"), List.of(tiny("gpu-only"), tiny("apex")));
        r = Cli.run("report", "--in", cmp.toString(), "--out", tmp.resolve("x.html").toString());
        assertEquals(0, r.code(), r.err());
        html = Files.readString(tmp.resolve("x.html"));
        assertTrue(html.contains("APEX Bench: gpu-only vs apex"), "engines in run order");
    }

    @Test
    void notAResultFolderIsAClearError() throws Exception {
        Cli r = Cli.run("report", "--in", tmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("is not a complete result folder: manifest.json is missing"), r.err());
        RunDirectory.writeData(tmp.resolve("bare"), tiny("apex"), true);   // the files, but never committed
        r = Cli.run("report", "--in", tmp.resolve("bare").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("manifest.json is missing"), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    /** Issue 11: a stale file beside a run, a truncated CSV or an edited one made `report` render a mixture with exit 0. */
    @Test
    void staleTruncatedOrEditedFilesAreNamed() throws Exception {
        Path cmp = complete(tmp.resolve("cmp"), List.of(tiny("gpu-only"), tiny("apex")));
        Files.writeString(cmp.resolve("apex/tokens.jsonl"), "{\"id\":\"old\"}\n");
        Cli r = Cli.run("report", "--in", cmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("apex/tokens.jsonl is not listed in the manifest"), r.err());
        Files.delete(cmp.resolve("apex/tokens.jsonl"));
        long size = Files.size(cmp.resolve("gpu-only/requests.csv"));
        byte[] bytes = Files.readAllBytes(cmp.resolve("gpu-only/requests.csv"));
        Files.write(cmp.resolve("gpu-only/requests.csv"), java.util.Arrays.copyOf(bytes, bytes.length / 2));
        Files.createDirectories(cmp.resolve("neo"));
        Files.writeString(cmp.resolve("neo/summary.json"), "{}");
        r = Cli.run("report", "--in", cmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("gpu-only/requests.csv has " + bytes.length / 2 + " bytes, the manifest says " + size)
                && r.err().contains("neo/summary.json is not listed"), r.err());
        bytes[bytes.length - 2] ^= 1;   // same size, other content
        Files.write(cmp.resolve("gpu-only/requests.csv"), bytes);
        Files.delete(cmp.resolve("neo/summary.json"));
        r = Cli.run("report", "--in", cmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("gpu-only/requests.csv differs from the manifest's checksum"), r.err());
    }
}
