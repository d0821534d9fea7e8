package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Closed-loop workloads (concurrency=N): N clients, each sending its next request when the last one finished. */
class ClosedLoopCommandTest {
    @TempDir Path tmp;

    @Test
    void simRunKeepsAtMostConcurrencyRequestsInTheSystem() throws Exception {
        Cli r = Cli.run("run", "--engine", "gpu-only", "--requests", "sharegpt:count=40,concurrency=4", "--gpu-kv-blocks", "236", "--out",
                tmp.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        List<double[]> spans = spans(tmp.resolve("requests.csv"));
        assertEquals(40, spans.size());
        assertEquals(4, peakInSystem(spans), "at most 4 requests in the system, and 4 clients really ran concurrently");
        long late = spans.stream().filter(s -> s[0] > 0).count();
        assertEquals(36, late, "the first 4 requests arrive at t=0, each later one when a previous one finished");
    }

    /** The real runtime on the fixture model keeps the closed loop too: 2 clients, 8 requests, none lost. */
    @Test
    void cpuRunKeepsAtMostConcurrencyRequestsInTheSystem() throws Exception {
        Cli r = Cli.run("run", "--engine", "gpu-only", "--backend", "cpu", "--model", RealEngineRuns.tinyLlama3().toString(),
                "--requests", "synthetic:count=8,input=12,output=6,concurrency=2", "--gpu-kv-blocks", "8", "--host-kv-blocks",
                "32", "--max-running", "8", "--max-tokens", "64", "--threads", "1", "--out", tmp.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        List<double[]> spans = spans(tmp.resolve("requests.csv"));
        assertEquals(8, spans.size());
        assertEquals(2, peakInSystem(spans), "at most 2 requests in the system, and 2 clients really ran concurrently");
        long late = spans.stream().filter(s -> s[0] > 0).count();
        assertEquals(6, late, "the first 2 requests arrive at t=0, each later one when a previous one finished");
    }

    /** Arrival and last-token time of each request in {@code requestsCsv}, asserting none failed. */
    private static List<double[]> spans(Path requestsCsv) throws Exception {
        List<double[]> spans = new ArrayList<>();
        try (Reader in = Files.newBufferedReader(requestsCsv)) {
            for (CSVRecord rec : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(in)) {
                assertEquals("", rec.get("failure"), rec.get("request_id"));
                String[] times = rec.get("token_times_s").split(";");
                spans.add(new double[] {Double.parseDouble(rec.get("arrival_s")), Double.parseDouble(times[times.length - 1])});
            }
        }
        return spans;
    }

    /** Most requests in the system at any arrival: arrived by then and not finished yet (a finish at that instant freed the slot). */
    private static int peakInSystem(List<double[]> spans) {
        int peak = 0;
        for (double[] s : spans) {
            int inSystem = 0;
            for (double[] o : spans) if (o[0] <= s[0] && o[1] > s[0]) inSystem++;
            peak = Math.max(peak, inSystem);
        }
        return peak;
    }
}
