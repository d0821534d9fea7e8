package org.apexbench.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepAndPaperReportTest {
    @TempDir Path tmp;

    @Test
    void sweepWritesCurveCsvAndChartsPerEngine() throws Exception {
        var points = List.of(new SweepReport.Point("apex", 1, SyntheticRun.make("apex", 1.2).summary()),
                new SweepReport.Point("apex", 2, SyntheticRun.make("apex", 1.0).summary()),
                new SweepReport.Point("gpu-only", 1, SyntheticRun.make("gpu-only", 0.8).summary()));
        SweepReport.writeCsv(tmp.resolve("sweep.csv"), "rate", points);
        List<String> csv = Files.readAllLines(tmp.resolve("sweep.csv"));
        assertEquals(4, csv.size());
        assertTrue(csv.get(0).startsWith("engine,rate,completed"), csv.get(0));
        assertTrue(csv.get(2).startsWith("apex,2.0,12,"), csv.get(2));
        SweepReport.writeHtml(tmp.resolve("sweep.html"), "sweep", "rate", points, null);
        String html = Files.readString(tmp.resolve("sweep.html"));
        for (String id : List.of("chart-sweep-throughput", "chart-sweep-ttft", "chart-sweep-tpot", "sweep")) {
            assertTrue(html.contains("id=\"" + id + "\""), id);
        }
        assertTrue(html.contains("data:image/png;base64,"));
    }

    @Test
    void maxRateCsvQuotesLabelsLeavesMissesEmptyAndNamesAnUnwritableFile() throws Exception {
        SweepReport.writeMaxRateCsv(tmp.resolve("max_rate.csv"), List.of(new SweepReport.MaxRate("apex[a=1,b=2]", 2.5, 100.0, 50.0),
                new SweepReport.MaxRate("gpu-only", null, null, null)));
        assertEquals(List.of("engine,max_rate,p99_ttft_ms,p99_tpot_ms", "\"apex[a=1,b=2]\",2.5,100.0,50.0", "gpu-only,,,"),
                Files.readAllLines(tmp.resolve("max_rate.csv")));
        Path blocked = tmp.resolve("a-file");
        Files.writeString(blocked, "x");
        var e = org.junit.jupiter.api.Assertions.assertThrows(java.io.UncheckedIOException.class,
                () -> SweepReport.writeMaxRateCsv(blocked.resolve("max_rate.csv"), List.of()));
        assertTrue(e.getMessage().contains("cannot write") && e.getMessage().contains("max_rate.csv"), e.getMessage());
    }

    @Test
    void paperGainsCompareApexWithGpuOnlyAndTheBestHybrid() throws Exception {
        var gpuOnly = SyntheticRun.make("gpu-only", 0.5).summary();
        var neo = SyntheticRun.make("static-hybrid:neo", 0.8).summary();
        var fd = SyntheticRun.make("static-hybrid:fastdecode", 0.6).summary();
        var apex = SyntheticRun.make("apex", 1.0).summary();
        var cells = List.of(new PaperReport.Cell("t4 + llama-2-7b", "T4", "chat", "gpu-only", gpuOnly),
                new PaperReport.Cell("t4 + llama-2-7b", "T4", "chat", "static-hybrid:neo", neo),
                new PaperReport.Cell("t4 + llama-2-7b", "T4", "chat", "static-hybrid:fastdecode", fd),
                new PaperReport.Cell("t4 + llama-2-7b", "T4", "chat", "apex", apex));
        double vsGpu = PaperReport.gainVsGpuOnly(cells, cells.get(3));
        assertEquals(100 * (apex.outputThroughput() / gpuOnly.outputThroughput() - 1), vsGpu, 1e-9);
        double vsHybrid = PaperReport.gainVsBestHybrid(cells, cells.get(3));
        assertEquals(100 * (apex.outputThroughput() / neo.outputThroughput() - 1), vsHybrid, 1e-9);
        PaperReport.write(tmp, cells, "test grid");
        String md = Files.readString(tmp.resolve("paper.md"));
        assertTrue(md.contains("+84% to +96%") && md.contains("| t4 + llama-2-7b | chat | apex |"), md);
        assertEquals(5, Files.readAllLines(tmp.resolve("paper.csv")).size());
        // a baseline that rejected requests as never servable served a different workload: no gain against it
        var rejecting = List.of(new PaperReport.Cell("t4 + llama-2-7b", "T4", "chat", "gpu-only", gpuOnly, 2), cells.get(1),
                cells.get(2), cells.get(3));
        assertTrue(Double.isNaN(PaperReport.gainVsGpuOnly(rejecting, rejecting.get(3))));
        assertEquals(vsHybrid, PaperReport.gainVsBestHybrid(rejecting, rejecting.get(3)), 1e-9);
        PaperReport.write(tmp, rejecting, "test grid");
        md = Files.readString(tmp.resolve("paper.md"));
        assertTrue(md.contains("| t4 + llama-2-7b | chat | gpu-only | " + gpuOnly.failed() + " |"), md);
        assertTrue(md.contains(String.format(java.util.Locale.ROOT, "| apex | %d | %.1f |", apex.failed(), apex.outputThroughput()))
                && md.contains("| n/a | " + String.format(java.util.Locale.ROOT, "%+.1f%%", vsHybrid)), md);
    }
}
