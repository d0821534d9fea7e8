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

    @Test
    void rebuildsTheReportOfARunAndOfAComparison() throws Exception {
        Path run = tmp.resolve("run");
        RunDirectory.writeData(run, tiny("apex"), true);
        Cli r = Cli.run("report", "--in", run.toString());
        assertEquals(0, r.code(), r.err());
        String html = Files.readString(run.resolve(HtmlReport.FILE));
        for (String id : RunCommandTest.reportSections(List.of("apex"))) assertTrue(html.contains("id=\"" + id + "\""), id);

        Path cmp = tmp.resolve("cmp");
        RunDirectory.writeComparison(cmp, "cmp", List.of(tiny("gpu-only"), tiny("apex")), false);
        Files.delete(cmp.resolve(HtmlReport.FILE));
        r = Cli.run("report", "--in", cmp.toString(), "--out", tmp.resolve("x.html").toString());
        assertEquals(0, r.code(), r.err());
        html = Files.readString(tmp.resolve("x.html"));
        assertTrue(html.contains("APEX Bench: gpu-only vs apex"), "engines in comparison.csv order");
    }

    @Test
    void notARunFolderIsAClearError() {
        Cli r = Cli.run("report", "--in", tmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("holds neither a run"), r.err());
    }
}
